/**
 * The DES round tables in their Storage file (firmware/src/board/espruino/des-table-file.ts), on
 * the emulator's Storage with Espruino's write-once rules; E.CRC32 is zlib's CRC-32 (ISO-HDLC).
 */
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DES_TABLES_FILE } from '../../firmware/src/board/espruino/board-config';
import { DES_TABLES_CRC, storedDesTables } from '../../firmware/src/board/espruino/des-table-file';
import { buildDesTables } from '../../firmware/src/board/espruino/word-des';
import type { EspruinoStorage as StoragePort } from '../../firmware/src/board/espruino/espruino-api';
import { EspruinoStorage } from '../../host/emulator/espruino-storage';

const built = new Uint8Array(buildDesTables().buffer);
const bytes = (b: ArrayBufferLike) => new Uint8Array(b);

describe('DES round tables in a Storage file', () => {
  beforeEach(() => vi.stubGlobal('E', { CRC32: (v: Uint8Array) => zlib.crc32(v) >>> 0 }));
  afterEach(() => vi.unstubAllGlobals());

  it('DES_TABLES_CRC is the CRC-32 of the built tables', () => {
    expect(zlib.crc32(built) >>> 0).toBe(DES_TABLES_CRC);
  });

  it('writes the file at first boot and then reads it without building or writing', () => {
    const storage = new EspruinoStorage(null);
    const first = storedDesTables(storage as unknown as StoragePort);
    expect(bytes(first)).toEqual(built);
    expect(bytes(storage.readArrayBuffer(DES_TABLES_FILE)!)).toEqual(built);
    const write = vi.spyOn(storage, 'write');
    const again = storedDesTables(storage as unknown as StoragePort);
    expect(write).not.toHaveBeenCalled();
    expect(again).toBe(storage.readArrayBuffer(DES_TABLES_FILE)); // the file's own bytes (mapped flash on the board)
  });

  it('rewrites a torn or foreign file', () => {
    const storage = new EspruinoStorage(null);
    storage.write(DES_TABLES_FILE, built.slice(0, 1000), 0, built.length); // the rest still 0xFF, as after a cut write
    expect(bytes(storedDesTables(storage as unknown as StoragePort))).toEqual(built);
    storage.erase(DES_TABLES_FILE);
    storage.write(DES_TABLES_FILE, 'not the tables');
    expect(bytes(storedDesTables(storage as unknown as StoragePort))).toEqual(built);
    expect(bytes(storage.readArrayBuffer(DES_TABLES_FILE)!)).toEqual(built);
  });

  it('keeps the tables in RAM when Storage refuses the file', () => {
    const storage = new EspruinoStorage(null);
    vi.spyOn(storage, 'write').mockImplementation(() => {
      throw new Error('Not enough free space');
    });
    expect(bytes(storedDesTables(storage as unknown as StoragePort))).toEqual(built);
    expect(storage.readArrayBuffer(DES_TABLES_FILE)).toBeUndefined();
  });
});
