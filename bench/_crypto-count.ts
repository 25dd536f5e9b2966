/**
 * Counts block-cipher operations by wrapping encryptBlock/decryptBlock of the core's ciphers
 * (SoftAes, SoftDes, SoftTripleDes) on their prototypes, so every instance is seen, including the
 * ones a class makes for itself (PbocCrypto). A 3DES block counts once as "3des", not as three DES
 * blocks. Operations are booked to the current side: "card" while the SE runs a command
 * (inCard()), "host" otherwise (GP host, transit security module).
 */
import { SoftAes } from '../firmware/src/core/crypto/aes';
import { SoftDes, SoftTripleDes } from '../firmware/src/core/crypto/des';

export interface BlockCounts {
  aes: number;
  des: number;
  tdes: number;
}

export type Side = 'card' | 'host';

const counts: Record<Side, BlockCounts> = { card: zero(), host: zero() };
let side: Side = 'host';
let tdesDepth = 0;
let installed = false;

function zero(): BlockCounts {
  return { aes: 0, des: 0, tdes: 0 };
}

type BlockFn = (src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number) => void;

function wrap(proto: { encryptBlock: BlockFn; decryptBlock: BlockFn }, kind: keyof BlockCounts): void {
  for (const name of ['encryptBlock', 'decryptBlock'] as const) {
    const original = proto[name];
    proto[name] = function (this: unknown, src, srcOff, dst, dstOff) {
      if (kind === 'tdes') {
        counts[side].tdes++;
        tdesDepth++;
        try {
          original.call(this, src, srcOff, dst, dstOff);
        } finally {
          tdesDepth--;
        }
        return;
      }
      if (kind === 'aes' || tdesDepth === 0) counts[side][kind]++;
      original.call(this, src, srcOff, dst, dstOff);
    };
  }
}

/** Installs the counting wrappers once per process. */
export function installBlockCounter(): void {
  if (installed) return;
  installed = true;
  wrap(SoftAes.prototype, 'aes');
  wrap(SoftDes.prototype, 'des');
  wrap(SoftTripleDes.prototype, 'tdes');
}

/** Runs fn with its block operations booked to the card. */
export function inCard<T>(fn: () => T): T {
  const before = side;
  side = 'card';
  try {
    return fn();
  } finally {
    side = before;
  }
}

export function blockCounts(s: Side): BlockCounts {
  return { ...counts[s] };
}

export function totalBlocks(c: BlockCounts): number {
  return c.aes + c.des + c.tdes;
}

export function diffCounts(after: BlockCounts, before: BlockCounts): BlockCounts {
  return { aes: after.aes - before.aes, des: after.des - before.des, tdes: after.tdes - before.tdes };
}
