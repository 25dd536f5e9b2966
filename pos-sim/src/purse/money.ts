/** Amounts as people type and read them ("2.00" yuan) and as cards keep them (fen, 1/100). */
import { encodeBcd } from '../../../firmware/src/core/package/bcd';
import { DATE_TIME_LEN } from '../../../firmware/src/core/applets/purse/purse-crypto';
import { MAX_AMOUNT } from './purse-apdus';

/** "2", "2.5", "2.00" -> fen; null when not a positive amount with at most two decimals. */
export function parseAmount(text: string): number | null {
  const m = /^(\d{1,8})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) return null;
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return fen >= 1 && fen <= MAX_AMOUNT ? fen : null;
}

/** 4800 -> "48.00". */
export function formatAmount(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/** The purse commands' date-time: 7 bytes BCD YYYYMMDDhhmmss, local time (JR/T 0025 e-purse commands). */
export function bcdDateTime(d: Date): Uint8Array {
  const two = (n: number): string => String(n).padStart(2, '0');
  const digits = `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`;
  return encodeBcd(digits, DATE_TIME_LEN)!;
}
