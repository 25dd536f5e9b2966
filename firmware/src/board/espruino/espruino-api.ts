/**
 * The part of Espruino's API the firmware uses (docs/espruino.md; espruino.com/Reference), typed
 * once here so the rest of the board code never touches an untyped global. Built-in modules are
 * reached through require() with a literal name; the build keeps those calls as they are and the
 * board JSON lists the names as built-in, so the uploader never tries to fetch them.
 *
 * The declarations are module-local: they do not leak into the Node typings of host code.
 */

/** Espruino's I2C object (src/jswrap_spi_i2c.c): synchronous, blocking transfers. */
export interface EspruinoI2C {
  setup(options: { scl: EspruinoPin; sda: EspruinoPin; bitrate?: number }): void;
  writeTo(address: number, data: Uint8Array): void;
  /** Returns a new Uint8Array of `quantity` bytes. */
  readFrom(address: number, quantity: number): Uint8Array;
}

export interface EspruinoPin {
  write(value: boolean): void;
  read(): boolean;
}

/** require('Storage') (src/jswrap_storage.c). */
export interface EspruinoStorage {
  write(name: string, data: string | Uint8Array, offset?: number, size?: number): boolean;
  read(name: string, offset?: number, length?: number): string | undefined;
  readArrayBuffer(name: string): ArrayBuffer | undefined;
  readJSON(name: string, noExceptions?: boolean): unknown;
  erase(name: string): void;
  list(pattern?: RegExp): string[];
  getFree(): number;
  compact(): void;
}

/** require('crypto').AES (libs/crypto/jswrap_crypto.c); returns a new ArrayBuffer. */
export interface EspruinoAes {
  encrypt(message: Uint8Array, key: Uint8Array, options: { mode: string; iv?: Uint8Array }): ArrayBuffer;
  decrypt(message: Uint8Array, key: Uint8Array, options: { mode: string; iv?: Uint8Array }): ArrayBuffer;
}

export interface EspruinoCrypto {
  AES: EspruinoAes;
}

/**
 * require('MQTT') (EspruinoDocs modules/MQTT.js, docs/espruino.md): an MQTT 3.1.1 client over
 * require('net'), loaded by the uploader as a module (not in the bundle). Messages are strings of
 * bytes (0..255 per character), so binary frames travel as binary strings.
 */
export interface EspruinoMqttOptions {
  client_id: string;
  keep_alive: number;
  port: number;
  clean_session: boolean;
  username: string;
  password: string;
}

export interface EspruinoMqttPublished {
  topic: string;
  message: string;
}

export interface EspruinoMqttClient {
  connected: boolean;
  connect(): void;
  disconnect(): void;
  publish(topic: string, message: string, options: { qos: number }): void;
  subscribe(topic: string, options: { qos: number }): void;
  on(event: 'connected' | 'disconnected', listener: () => void): void;
  on(event: 'publish', listener: (published: EspruinoMqttPublished) => void): void;
  on(event: 'error', listener: (error: unknown) => void): void;
}

export interface EspruinoMqttModule {
  create(host: string, options: EspruinoMqttOptions): EspruinoMqttClient;
}

/** require('Wifi') (libs/network/jswrap_wifi.c): the board joins the network saved with wifi.save(). */
export interface EspruinoWifi {
  getIP(): { ip: string };
}

export interface EspruinoProcessMemory {
  free: number;
  usage: number;
  total: number;
}

declare const I2C1: EspruinoI2C;
declare const E: {
  getSerial(): string;
  hwRand(): number;
  sum(values: Uint8Array | Int32Array): number;
  CRC32(values: Uint8Array): number;
  mapInPlace(from: Uint8Array, to: Int32Array, map: Int32Array): void;
};
declare const process: { memory(): EspruinoProcessMemory; env: { VERSION?: string; BOARD?: string; MODULES?: string } };
declare const global: { [name: string]: unknown };
declare function require(name: 'Storage'): EspruinoStorage;
declare function require(name: 'crypto'): EspruinoCrypto;
declare function require(name: 'MQTT'): EspruinoMqttModule;
declare function require(name: 'Wifi'): EspruinoWifi;
declare function print(...values: unknown[]): void;
declare function setTimeout(callback: () => void, ms: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare function setInterval(callback: () => void, ms: number): unknown;

/** A timer handle from setTimer(); only clearTimer() reads it. */
export type TimerHandle = unknown;

/** Runs callback once after ms milliseconds (Espruino's setTimeout). */
export function setTimer(ms: number, callback: () => void): TimerHandle {
  return setTimeout(callback, ms);
}

/** Runs callback every ms milliseconds for as long as the firmware runs (Espruino's setInterval). */
export function setEvery(ms: number, callback: () => void): void {
  setInterval(callback, ms);
}

export function clearTimer(handle: TimerHandle): void {
  clearTimeout(handle);
}

export function i2c1(): EspruinoI2C {
  return I2C1;
}

/** Pins are globals named D0..D39 on ESP32. */
export function pin(name: string): EspruinoPin {
  return global[name] as EspruinoPin;
}

export function storage(): EspruinoStorage {
  return require('Storage');
}

export function aes(): EspruinoAes {
  return require('crypto').AES;
}

export function mqttModule(): EspruinoMqttModule {
  return require('MQTT');
}

/**
 * The Wifi module, or null on a build without one (wired network, the Linux interpreter). Asked
 * through process.env.MODULES (the built-in modules, src/jswrap_process.c) rather than a failing
 * require: an exception raised in the bundle's one long line copies that line into its stack
 * text, thousands of JsVars at boot.
 */
export function wifi(): EspruinoWifi | null {
  const modules = process.env.MODULES;
  return modules !== undefined && modules.indexOf('Wifi') >= 0 ? require('Wifi') : null;
}

/** Wall-clock seconds (Unix time; grant expiry, reassembly timeouts). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * process.memory(); also how the firmware collects garbage now (process.memory() collects first,
 * src/jswrap_process.c). Reference counting frees most objects at once, but not cycles (a class
 * and its prototype, a function and the scope it was defined in): those wait for a collection,
 * which Espruino runs only when memory is low. One function for both: each costs ~4 JsVars.
 */
export function memory(): EspruinoProcessMemory {
  return process.memory();
}

export function firmwareVersion(): string {
  return process.env.VERSION === undefined ? 'unknown' : process.env.VERSION;
}

export function serialNumber(): string {
  return E.getSerial();
}

/** The sum of a view's bytes, native (E.sum, src/jswrap_espruino.c). */
export function byteSum(bytes: Uint8Array): number {
  return E.sum(bytes);
}

/**
 * Espruino's E.mapInPlace and E.sum (src/jswrap_espruino.c) as functions, for the DES rounds
 * (word-des.ts DesTables): native static methods, called without `this`.
 */
export function nativeMapInPlace(): (from: Uint8Array, to: Int32Array, map: Int32Array) => void {
  return E.mapInPlace;
}

export function nativeSum(): (values: Int32Array) => number {
  return E.sum;
}

/** E.CRC32 of a view's bytes, unsigned. */
export function crc32Of(bytes: Uint8Array): number {
  return E.CRC32(bytes);
}

/**
 * The store's record check (core/store/crc32.ts Crc32) in one native call: E.CRC32
 * (src/jswrap_espruino.c) is CRC-32/ISO-HDLC over a view's bytes, returned unsigned; ~12 loop
 * units for a 40-byte record where the CRC in JavaScript costs ~4 a byte.
 */
export function nativeCrc32(data: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void {
  const crc = E.CRC32(data.subarray(off, off + len));
  out[outOff] = crc >>> 24;
  out[outOff + 1] = crc >>> 16;
  out[outOff + 2] = crc >>> 8;
  out[outOff + 3] = crc;
}

/** 32 random bits from the chip's hardware RNG (E.hwRand; ESP32: esp_random). */
export function hardwareRandom(): number {
  return E.hwRand();
}

/** Prints one line on the Espruino console. */
export function consoleLine(text: string): void {
  print(text);
}

/** Makes a function callable from the REPL (`status()`). */
export function exposeOnConsole(name: string, fn: (...args: string[]) => void): void {
  global[name] = fn;
}
