/**
 * The DES engines' tables in a Storage file (firmware/src/board/espruino/des-table-file.ts), on the
 * emulator's Storage with Espruino's write-once rules: written once, read back, written again when
 * torn or altered, and a board that cannot write it still computes right answers.
 */
import { describe, expect, it } from 'vitest';
import { DES_TABLE_FILE, storedDesTables } from '../../firmware/src/board/espruino/des-table-file';
import { buildDesTables, DES_TABLE_WORDS, WordDes } from '../../firmware/src/board/espruino/word-des';
import { fromHex, toHex } from '../../firmware/src/core/hex';
import { EspruinoStorage } from '../../host/emulator/espruino-storage';

/** FIPS 81 Appendix B: "Now is t" under 0123456789abcdef. */
function fips81(storage: EspruinoStorage): string {
  const des = new WordDes(storedDesTables(storage));
  des.setKey(fromHex('0123456789abcdef'), 0, 8);
  const out = new Uint8Array(8);
  des.encryptBlock(fromHex('4e6f772069732074'), 0, out, 0);
  return toHex(out);
}

const tableBytes = () => new Uint8Array(buildDesTables().buffer);

describe('DES tables in Storage', () => {
  it('writes the file at the first boot, then only reads it', () => {
    const storage = new EspruinoStorage(null);
    expect(fips81(storage)).toBe('3fa40e8a984d4815');
    expect(storage.list()).toEqual([DES_TABLE_FILE]);
    expect(new Uint8Array(storage.readArrayBuffer(DES_TABLE_FILE)!)).toEqual(tableBytes());
    let writes = 0;
    const write = storage.write.bind(storage);
    storage.write = (...args: Parameters<EspruinoStorage['write']>) => (writes++, write(...args));
    expect(fips81(storage)).toBe('3fa40e8a984d4815');
    expect(writes).toBe(0);
  });

  it('writes it again when a power cut left it torn or it was altered', () => {
    const storage = new EspruinoStorage(null);
    const torn = tableBytes().fill(0xff, 1000);
    storage.write(DES_TABLE_FILE, torn);
    expect(fips81(storage)).toBe('3fa40e8a984d4815');
    expect(new Uint8Array(storage.readArrayBuffer(DES_TABLE_FILE)!)).toEqual(tableBytes());
    storage.write(DES_TABLE_FILE, new Uint8Array(4 * DES_TABLE_WORDS - 4));
    expect(fips81(storage)).toBe('3fa40e8a984d4815');
    expect(storage.readArrayBuffer(DES_TABLE_FILE)!.byteLength).toBe(4 * DES_TABLE_WORDS);
  });

  it('uses the tables it computed when the file cannot be written', () => {
    const storage = new EspruinoStorage(null);
    storage.write = () => false;
    expect(fips81(storage)).toBe('3fa40e8a984d4815');
    expect(storage.list()).toEqual([]);
  });
});
