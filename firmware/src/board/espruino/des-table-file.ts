/**
 * The DES round tables (word-des.ts, 6,144 bytes) in a Storage file, read through
 * Storage.readArrayBuffer: on the board a view on memory-mapped flash, ~2 JsVars instead of the
 * ~250 the tables cost in RAM. Built and written at the first boot that finds the file missing,
 * of another size or with another CRC (a write cut by a power loss, another build's layout), then
 * read back and checked again; if Storage cannot hold it, the tables stay in RAM as before.
 *
 * Storage compaction moves files, but Espruino rewrites the address of every JsVar that points
 * into a moved file (src/jsflash.c jsfCompactInternal, jsvUpdateMemoryAddress): the views stay
 * good. On the Linux build without a mapping every table read is a file read (the speed bench's
 * 'ram' run therefore builds the tables in RAM, as it holds its code there).
 *
 * Boot only: the firmware build puts this in a lazy part (tools/firmware/build-firmware.ts
 * desTablesPart), defined for the call and freed after.
 */
import { DES_TABLES_FILE } from './board-config';
import { crc32Of, type EspruinoStorage } from './espruino-api';
import { buildDesTables, DES_TABLE_WORDS } from './word-des';

/** CRC-32/ISO-HDLC of buildDesTables()'s bytes, little-endian words (test/board/des-table-file.test.ts checks it). */
export const DES_TABLES_CRC = 0xda750467;

function checked(buffer: ArrayBuffer | undefined): ArrayBuffer | null {
  return buffer !== undefined && buffer.byteLength === 4 * DES_TABLE_WORDS && crc32Of(new Uint8Array(buffer)) === DES_TABLES_CRC ? buffer : null;
}

/** The tables' buffer: the Storage file's mapped bytes, written first if needed, or the built tables in RAM. */
export function storedDesTables(st: EspruinoStorage): ArrayBufferLike {
  const stored = checked(st.readArrayBuffer(DES_TABLES_FILE));
  if (stored !== null) return stored;
  const built = buildDesTables();
  if (st.read(DES_TABLES_FILE, 0, 1) !== undefined) st.erase(DES_TABLES_FILE);
  let written = false;
  try {
    written = st.write(DES_TABLES_FILE, new Uint8Array(built.buffer));
  } catch {
    written = false; // Storage full: keep the tables in RAM
  }
  const again = written ? checked(st.readArrayBuffer(DES_TABLES_FILE)) : null;
  return again !== null ? again : built.buffer;
}
