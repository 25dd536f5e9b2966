/**
 * DES and Triple DES of the Node shells, for the servers that run PBOC purse crypto (JR/T 0025
 * e-purse security: card key diversification at an issuer, MAC1/MAC2/TAC at a purse security
 * module): the portable core's BlockCipher seam (core/crypto/block-cipher.ts) on node:crypto, so a
 * server does not run the portable SoftDes the board needs, and PbocCrypto (core/crypto/pboc.ts)
 * stays the core's on top of it. The kept OpenSSL contexts and their chaining are
 * _node-block-cipher.ts's.
 *
 * OpenSSL 3 serves single DES (des-ecb, des-cbc) only from its legacy provider, which Node does not
 * load; Triple DES EDE is in its default provider. Single DES under K is TDEA EDE with K1 = K2 = K3
 * (NIST SP 800-67 Rev. 2 §3.2, keying option 3: E_K(D_K(E_K(P))) = E_K(P)), so NodeDes runs
 * des-ede (two-key EDE, K3 = K1) under K || K. Two-key Triple DES (16-byte keys K1 || K2, K3 = K1:
 * the PBOC keys) is des-ede, three-key (24 bytes) des-ede3.
 */
import { NodeBlockCipher } from './_node-block-cipher';
import { PbocCrypto } from '../../firmware/src/core/crypto/pboc';

const BLOCK = 8;
const DES_KEY = 8;

/** Single DES (FIPS 46-3) as TDEA keying option 3 (see the header). */
export class NodeDes extends NodeBlockCipher {
  constructor() {
    super(BLOCK, 'DES');
  }

  protected checkKeyLength(len: number): void {
    if (len !== DES_KEY) throw new Error(`DES key: expected 8 bytes, got ${len}`);
  }

  protected keyFor(key: Uint8Array, off: number, len: number): Buffer {
    const k = Buffer.alloc(2 * DES_KEY);
    k.set(key.subarray(off, off + len), 0);
    k.set(key.subarray(off, off + len), DES_KEY);
    return k;
  }

  protected algorithm(_keyLen: number, mode: 'cbc' | 'ecb'): string {
    return `des-ede-${mode}`;
  }
}

/** Triple DES EDE (NIST SP 800-67 §3): 16-byte keys K1 || K2 (K3 = K1) or 24-byte K1 || K2 || K3. */
export class NodeTripleDes extends NodeBlockCipher {
  constructor() {
    super(BLOCK, '3DES');
  }

  protected checkKeyLength(len: number): void {
    if (len !== 16 && len !== 24) throw new Error(`3DES key: expected 16 or 24 bytes, got ${len}`);
  }

  protected keyFor(key: Uint8Array, off: number, len: number): Buffer {
    return Buffer.from(key.subarray(off, off + len));
  }

  protected algorithm(keyLen: number, mode: 'cbc' | 'ecb'): string {
    return `${keyLen === 16 ? 'des-ede' : 'des-ede3'}-${mode}`;
  }
}

/**
 * PBOC crypto on these engines, for a server (an issuer, a purse security module): a host
 * PbocCrypto, so every key is wiped after every operation (core/crypto/pboc.ts).
 */
export function nodePbocCrypto(): PbocCrypto {
  return new PbocCrypto(new NodeDes(), new NodeTripleDes());
}
