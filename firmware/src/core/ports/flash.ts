/**
 * Flash HAL: NOR-flash rules as Espruino's Storage has them (docs/espruino.md "Storage"):
 * the device is `pageCount` pages of `pageSize` bytes (4096); erase sets a whole page to 0xFF;
 * a byte may be programmed once between erases (programming a byte that is not 0xFF is an error).
 * Implementations: host/flash (memory or file, with power-cut injection), board/espruino (Storage).
 */
export interface Flash {
  readonly pageSize: number;
  readonly pageCount: number;
  /** Copies len bytes at addr into out[outOff..]. */
  read(addr: number, out: Uint8Array, outOff: number, len: number): void;
  /** Programs len bytes from data[off..] at addr. Every target byte must be erased (0xFF). */
  program(addr: number, data: Uint8Array, off: number, len: number): void;
  /** Erases one page to 0xFF. */
  erase(page: number): void;
}
