/**
 * The network modules of Espruino on ESP32 in the emulator, on real TCP (docs/board.md "Emulator"):
 *
 *   require('Wifi')  already joined (the emulator's host is on the network): getIP() answers the
 *                    loopback address, connect() calls back without error
 *   require('net')   net.connect({host, port}, cb) -> socket with write/end and the events
 *                    data (strings of bytes), end, close, error
 *   require('MQTT')  the API of EspruinoDocs modules/MQTT.js (create(host, {client_id, keep_alive,
 *                    port, clean_session, username, password}), connect, publish(topic, msg,
 *                    {qos}), subscribe(topic, {qos}), disconnect, events connected / publish /
 *                    message / disconnected / error), carried by the `mqtt` package, which does
 *                    the QoS 1 acknowledgements and retransmissions of MQTT 3.1.1
 *
 * Messages are strings of bytes (latin1), as on Espruino. Every callback into the firmware runs
 * through `call`, which reports an exception as Espruino's "Uncaught ..." and does nothing once
 * the interpreter has stopped; `track` registers what must close when it stops.
 */
import net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';

export interface NetworkHost {
  /** Runs a firmware callback (errors reported as Uncaught; nothing after power-off). */
  call(fn: unknown, args: unknown[]): void;
  /** Registers a closer run when the interpreter stops. */
  track(close: () => void): void;
}

/** Espruino objects carry on/emit (src/jswrap_object.c); these do too. */
class EventSource {
  private readonly listeners: { [event: string]: unknown[] } = {};
  constructor(protected readonly host: NetworkHost) {}
  on(event: string, fn: unknown): this {
    (this.listeners[event] ??= []).push(fn);
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    for (const fn of (this.listeners[event] ?? []).slice()) this.host.call(fn, args);
  }
}

export function wifiModule(host: NetworkHost): object {
  const wifi = new EventSource(host);
  return Object.assign(wifi, {
    getIP: () => ({ ip: '127.0.0.1', netmask: '255.0.0.0', gw: '127.0.0.1', mac: '02:00:00:00:00:01' }),
    getDetails: (cb?: unknown) => {
      const d = { status: 'connected', ssid: 'emulator' };
      if (cb !== undefined) host.call(cb, [d]);
      return d;
    },
    connect: (_ssid: string, _options: unknown, cb?: unknown) => {
      if (cb !== undefined) setImmediate(() => host.call(cb, [null]));
    },
    disconnect: () => {},
    save: () => {},
  });
}

class EmulatedSocket extends EventSource {
  constructor(
    host: NetworkHost,
    private readonly socket: net.Socket,
  ) {
    super(host);
    socket.on('data', (b: Buffer) => this.emit('data', b.toString('latin1')));
    socket.on('end', () => this.emit('end'));
    socket.on('close', () => this.emit('close'));
    socket.on('error', (e: Error) => this.emit('error', { message: e.message }));
  }
  write(data: unknown): void {
    this.socket.write(Buffer.from(String(data), 'latin1'));
  }
  end(data?: unknown): void {
    if (data !== undefined) this.write(data);
    this.socket.end();
  }
}

export function netModule(host: NetworkHost): object {
  return {
    connect: (options: { host?: string; port?: number }, cb?: unknown) => {
      const socket = net.connect({ host: options.host ?? '127.0.0.1', port: Number(options.port ?? 80) });
      host.track(() => socket.destroy());
      const s = new EmulatedSocket(host, socket);
      if (cb !== undefined) socket.once('connect', () => host.call(cb, [s]));
      return s;
    },
  };
}

interface MqttOptions {
  client_id?: string;
  keep_alive?: number;
  port?: number;
  clean_session?: boolean;
  username?: string;
  password?: string;
}

/** QoS from `{qos}` (the module's options) or a bare number. */
function qosOf(options: unknown): 0 | 1 | 2 {
  const q = typeof options === 'number' ? options : typeof options === 'object' && options !== null ? Number((options as { qos?: unknown }).qos ?? 0) : 0;
  return q === 1 || q === 2 ? q : 0;
}

class EmulatedMqtt extends EventSource {
  connected = false;
  private client: MqttClient | null = null;

  constructor(
    host: NetworkHost,
    private readonly server: string,
    private readonly options: MqttOptions,
  ) {
    super(host);
  }

  connect(): void {
    if (this.client !== null) return;
    const o = this.options;
    const client = mqtt.connect({
      host: this.server,
      port: o.port ?? 1883,
      protocol: 'mqtt',
      protocolVersion: 4,
      clientId: o.client_id ?? `espruino-${Math.random().toString(16).slice(2, 10)}`,
      keepalive: o.keep_alive ?? 60,
      // modules/MQTT.js: clean_session defaults to true
      clean: o.clean_session ?? true,
      username: o.username,
      password: o.password,
      // Espruino's module does not reconnect by itself: the firmware does, on 'disconnected'
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    this.client = client;
    this.host.track(() => client.end(true));
    client.on('connect', () => {
      this.connected = true;
      this.emit('connected');
      this.emit('connect');
    });
    client.on('message', (topic, payload, packet) => {
      const message = payload.toString('latin1');
      this.emit('publish', { topic, message, dup: packet.dup ? 1 : 0, qos: packet.qos, retain: packet.retain ? 1 : 0 });
      this.emit('message', topic, message);
    });
    client.on('error', (e) => this.emit('error', e.message));
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = null;
      this.connected = false;
      client.end(true);
      this.emit('disconnected');
      this.emit('close');
    });
  }

  publish(topic: string, message: unknown, options?: unknown): void {
    if (this.client === null) return;
    this.client.publish(String(topic), Buffer.from(String(message), 'latin1'), { qos: qosOf(options) });
  }

  subscribe(topic: string, options?: unknown): void {
    if (this.client === null) return;
    this.client.subscribe(String(topic), { qos: qosOf(options) });
  }

  unsubscribe(topic: string): void {
    this.client?.unsubscribe(String(topic));
  }

  disconnect(): void {
    const c = this.client;
    if (c === null) return;
    this.client = null;
    this.connected = false;
    c.end(false);
  }
}

export function mqttModule(host: NetworkHost): object {
  return {
    create: (server: string, options?: MqttOptions) => new EmulatedMqtt(host, String(server), options ?? {}),
    connect: (options: MqttOptions & { host: string }) => {
      const m = new EmulatedMqtt(host, options.host, options);
      m.connect();
      return m;
    },
  };
}
