/**
 * AES of the Node shells: the portable core's BlockCipher seam (core/crypto/block-cipher.ts) on
 * node:crypto (OpenSSL, AES-NI where the CPU has it), so link packets (TS 102 225 §5.1.2-§5.1.3),
 * SCP03 host sessions (GP Amendment D §6) and key diversification on the platform do not run the
 * table-free SoftAes the board's SE core needs. Modes, CMAC and the SCP03 KDF stay in the core on
 * top of this; the kept OpenSSL contexts and their chaining are _node-block-cipher.ts's. (The host
 * terminal's MCU runs noble-aes.ts: its calls are shorter and its keys shorter-lived than OpenSSL's
 * per-call and per-context costs pay for.)
 */
import { NodeBlockCipher } from './_node-block-cipher';

export class NodeAes extends NodeBlockCipher {
  constructor() {
    super(16, 'AES');
  }

  protected checkKeyLength(len: number): void {
    if (len !== 16 && len !== 24 && len !== 32) throw new Error(`AES key: expected 16, 24 or 32 bytes, got ${len}`);
  }

  protected keyFor(key: Uint8Array, off: number, len: number): Buffer {
    return Buffer.from(key.subarray(off, off + len));
  }

  protected algorithm(keyLen: number, mode: 'cbc' | 'ecb'): string {
    return `aes-${keyLen * 8}-${mode}`;
  }
}
