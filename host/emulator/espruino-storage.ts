/**
 * require('Storage') with Espruino's flash rules (docs/espruino.md "Storage"; Espruino src/jsflash.c
 * jsfWriteFile, src/jswrap_storage.c), persisted to a file after every change.
 *
 * Rules kept:
 * - write(name, data, offset=0, size=data.length): at offset 0 a missing file, or one of another
 *   size, or one with any byte already written, is (re)created full of 0xFF; writing the exact same
 *   complete contents again is a no-op. At offset > 0 the file must exist ("Unable to find or
 *   create file"), the data must fit ("Too much data for file size") and every target byte must
 *   still be 0xFF ("File already written with different data").
 * - names at most 28 characters; no zero-length files.
 * - read() returns a binary string, readArrayBuffer() a live view of the file (memory-mapped flash:
 *   later writes show through it). Erasing leaves the space as trash until compact(), which runs
 *   by itself when a new file does not fit (224 pages x 4 KB = 896 KB, 32-byte headers, 4-byte
 *   alignment).
 *
 * Power-cut injection: armPowerCut() makes the n-th flash operation land only partly (the first
 * `keepBytes` bytes of a write) and then cuts the power: the file on disk keeps that state and the
 * board is switched off, as a real board losing power in the middle of a flash write.
 */
import fs from 'node:fs';
import path from 'node:path';

export const STORAGE_TOTAL_BYTES = 224 * 4096;
export const FILE_HEADER_BYTES = 32;
export const MAX_NAME_LENGTH = 28;
const ALIGN = 4;
const STATE_VERSION = 1;

/** Thrown into the firmware when the injected power cut happens; the board is off afterwards. */
export class PowerCutError extends Error {
  constructor() {
    super('power cut (injected)');
    this.name = 'PowerCut';
  }
}

export interface PowerCutPlan {
  /** Cut during the n-th flash operation from now (1 = the next write or erase). */
  afterOperations: number;
  /** Bytes of that write's data that reach flash before the cut (default: half). */
  keepBytes?: number;
}

type StorageData = string | ArrayBuffer | ArrayBufferView | number[];

function footprint(size: number): number {
  return FILE_HEADER_BYTES + Math.ceil(size / ALIGN) * ALIGN;
}

function toBytes(data: StorageData): Uint8Array {
  if (typeof data === 'string') {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 0xff;
    return out;
  }
  if (data instanceof ArrayBuffer || Object.prototype.toString.call(data) === '[object ArrayBuffer]') {
    return new Uint8Array(data as ArrayBuffer).slice();
  }
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (Array.isArray(data)) return Uint8Array.from(data, (v) => Number(v) & 0xff);
  return toBytes(String(data));
}

function isErased(b: Uint8Array, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (b[off + i] !== 0xff) return false;
  return true;
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

export class EspruinoStorage {
  private files = new Map<string, Uint8Array>();
  private trashBytes = 0;
  private trashCount = 0;
  private readonly stateFile: string | null;
  private cut: PowerCutPlan | null = null;
  private operationsSinceArm = 0;
  /** Called once when the injected power cut happens (the board switches itself off). */
  onPowerCut: () => void = () => {};

  /** stateFile: where the contents live between runs (null: memory only). */
  constructor(stateFile: string | null) {
    this.stateFile = stateFile;
    if (stateFile !== null && fs.existsSync(stateFile)) this.loadState(stateFile);
  }

  armPowerCut(plan: PowerCutPlan): void {
    if (!(plan.afterOperations >= 1)) throw new RangeError('armPowerCut: afterOperations must be at least 1');
    this.cut = plan;
    this.operationsSinceArm = 0;
  }

  // ------------------------------------------------------------------ the Storage API

  write(name: string, data: StorageData, offset?: number, size?: number): boolean {
    this.checkName(name);
    const bytes = toBytes(data);
    const off = offset === undefined ? 0 : Math.floor(Number(offset));
    let total = size === undefined || Number(size) === 0 ? bytes.length : Math.floor(Number(size));
    if (off < 0 || total < 0) return false;
    if (total === 0) throw new Error("Can't create zero length file");
    let file = this.files.get(name);
    if (off === 0 && (file === undefined || file.length !== total || !isErased(file, 0, total))) {
      if (file !== undefined && file.length === total && bytes.length === total && Buffer.compare(file, bytes) === 0) return true;
      this.flashOperation();
      if (file !== undefined) this.trash(file);
      this.makeRoom(footprint(total));
      file = new Uint8Array(total).fill(0xff);
      this.files.set(name, file);
    } else {
      total = file === undefined ? 0 : file.length;
    }
    if (file === undefined) throw new Error('Unable to find or create file');
    if (off + bytes.length > total) throw new Error('Too much data for file size');
    if (!isErased(file, off, bytes.length)) throw new Error('File already written with different data');
    const keep = this.flashOperation(bytes.length);
    file.set(keep < bytes.length ? bytes.subarray(0, keep) : bytes, off);
    this.persist();
    if (keep < bytes.length) this.powerCut();
    return true;
  }

  writeJSON(name: string, value: unknown): boolean {
    return this.write(name, JSON.stringify(value));
  }

  read(name: string, offset?: number, length?: number): string | undefined {
    const file = this.files.get(name);
    if (file === undefined) return undefined;
    let off = offset === undefined ? 0 : Math.max(0, Math.floor(Number(offset)));
    if (off > file.length) off = file.length;
    let len = length === undefined || Number(length) <= 0 ? file.length : Math.floor(Number(length));
    if (off + len > file.length) len = file.length - off;
    return latin1(file.subarray(off, off + len));
  }

  readArrayBuffer(name: string): ArrayBuffer | undefined {
    const file = this.files.get(name);
    return file === undefined ? undefined : (file.buffer as ArrayBuffer);
  }

  readJSON(name: string, noExceptions?: boolean): unknown {
    const text = this.read(name);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch (err) {
      if (noExceptions === true) return undefined;
      throw err;
    }
  }

  erase(name: string): void {
    const file = this.files.get(name);
    if (file === undefined) return;
    this.flashOperation();
    this.trash(file);
    this.files.delete(name);
    this.persist();
  }

  eraseAll(): void {
    this.flashOperation();
    this.files.clear();
    this.trashBytes = 0;
    this.trashCount = 0;
    this.persist();
  }

  list(pattern?: RegExp | string): string[] {
    const names = Array.from(this.files.keys());
    if (pattern === undefined) return names;
    const re = typeof pattern === 'string' ? new RegExp(pattern) : pattern;
    return names.filter((n) => re.test(n));
  }

  getFree(): number {
    return STORAGE_TOTAL_BYTES - this.liveBytes() - this.trashBytes;
  }

  getStats(): { totalBytes: number; freeBytes: number; fileBytes: number; fileCount: number; trashBytes: number; trashCount: number } {
    return {
      totalBytes: STORAGE_TOTAL_BYTES,
      freeBytes: this.getFree(),
      fileBytes: this.liveBytes(),
      fileCount: this.files.size,
      trashBytes: this.trashBytes,
      trashCount: this.trashCount,
    };
  }

  compact(): void {
    this.trashBytes = 0;
    this.trashCount = 0;
    this.persist();
  }

  // ------------------------------------------------------------------ internals

  private checkName(name: string): void {
    if (typeof name !== 'string' || name.length === 0) throw new Error('Storage: file name must be a non-empty string');
    if (name.length > MAX_NAME_LENGTH) throw new Error(`Storage: file name "${name}" is longer than ${MAX_NAME_LENGTH} characters`);
  }

  private liveBytes(): number {
    let n = 0;
    for (const f of this.files.values()) n += footprint(f.length);
    return n;
  }

  private trash(file: Uint8Array): void {
    this.trashBytes += footprint(file.length);
    this.trashCount++;
  }

  private makeRoom(needed: number): void {
    if (this.getFree() >= needed) return;
    this.trashBytes = 0; // jsfCreateFile compacts when a file does not fit
    this.trashCount = 0;
    if (this.getFree() < needed) throw new Error('Unable to find or create file');
  }

  /**
   * Counts one flash operation against an armed power cut. Returns how many of `dataBytes` land:
   * all of them, or the planned part when this is the operation that gets cut.
   */
  private flashOperation(dataBytes = 0): number {
    if (this.cut === null) return dataBytes;
    this.operationsSinceArm++;
    if (this.operationsSinceArm < this.cut.afterOperations) return dataBytes;
    const keep = this.cut.keepBytes ?? Math.floor(dataBytes / 2);
    this.cut = null;
    if (dataBytes === 0) {
      this.persist();
      this.powerCut();
    }
    return Math.min(keep, dataBytes);
  }

  private powerCut(): never {
    this.onPowerCut();
    throw new PowerCutError();
  }

  private persist(): void {
    if (this.stateFile === null) return;
    const files: { [name: string]: string } = {};
    for (const [name, data] of this.files) files[name] = Buffer.from(data).toString('base64');
    const state = { version: STATE_VERSION, trashBytes: this.trashBytes, trashCount: this.trashCount, files };
    fs.mkdirSync(path.dirname(this.stateFile), { recursive: true, mode: 0o700 });
    const tmp = `${this.stateFile}.tmp`;
    // Storage holds the provisioning bundle and the SE's flash pages, keys included: owner only.
    fs.writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    fs.renameSync(tmp, this.stateFile);
  }

  private loadState(file: string): void {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      version: number;
      trashBytes: number;
      trashCount: number;
      files: { [name: string]: string };
    };
    if (state.version !== STATE_VERSION) throw new Error(`${file}: storage state version ${state.version}, expected ${STATE_VERSION}`);
    this.trashBytes = state.trashBytes;
    this.trashCount = state.trashCount;
    for (const name of Object.keys(state.files)) {
      const bytes = Buffer.from(state.files[name], 'base64');
      const data = new Uint8Array(new ArrayBuffer(bytes.length));
      data.set(bytes);
      this.files.set(name, data);
    }
  }
}
