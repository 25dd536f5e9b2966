/**
 * The secure messaging of one SCP03 session, what both ends compute alike (GP Card Spec v2.3
 * Amendment D v1.1, AmdD): the session keys S-ENC, S-MAC and S-RMAC, the MAC chaining value, the
 * encryption counter, the cryptograms, C-MAC and R-MAC, and the ICVs of C-DECRYPTION and
 * R-ENCRYPTION. The SE's card side (se/scp03-card.ts) verifies what the MCU's host side
 * (mcu/management-session.ts) produces, and the other way round, with this one code.
 *
 * States: IDLE -> (INITIALIZE UPDATE) INIT_UPDATED -> (EXTERNAL AUTHENTICATE) AUTHENTICATED.
 * close() returns to IDLE and wipes the keys.
 */
import { copy, fill } from '../bytes';
import type { BlockCipher, CipherFactory } from '../crypto/block-cipher';
import { Cmac } from '../crypto/cmac';
import { DERIVE_S_ENC, DERIVE_S_MAC, DERIVE_S_RMAC, scp03Derive } from '../crypto/kdf';

export type Scp03State = 'IDLE' | 'INIT_UPDATED' | 'AUTHENTICATED';

/** Security level bits (AmdD Table 7-3). */
export const SL_C_MAC = 0x01;
export const SL_C_DEC = 0x02;
export const SL_R_MAC = 0x10;
export const SL_R_ENC = 0x20;

export const CHALLENGE_LEN = 8;
export const CRYPTOGRAM_LEN = 8;
export const MAC_LEN = 8;
export const BLOCK = 16;

/**
 * Session keys from static keys (AmdD 6.2.1, Table 6-2): S-ENC from K-ENC (04), S-MAC (06) and
 * S-RMAC (07) from K-MAC, L = key bits, over context[0, 16) = host challenge || card challenge.
 * K-ENC and K-MAC are keys[encOff..] and keys[macOff..]; out gets S-ENC | S-MAC | S-RMAC. The cipher
 * under kdf is re-keyed; the caller wipes it.
 */
export function deriveSessionKeys(kdf: Cmac, keys: Uint8Array, encOff: number, macOff: number, keyLen: number, context: Uint8Array, out: Uint8Array): void {
  const bits = keyLen * 8;
  kdf.cipher.setKey(keys, encOff, keyLen);
  scp03Derive(kdf, DERIVE_S_ENC, context, 0, 2 * CHALLENGE_LEN, bits, out, 0);
  kdf.cipher.setKey(keys, macOff, keyLen);
  scp03Derive(kdf, DERIVE_S_MAC, context, 0, 2 * CHALLENGE_LEN, bits, out, keyLen);
  scp03Derive(kdf, DERIVE_S_RMAC, context, 0, 2 * CHALLENGE_LEN, bits, out, 2 * keyLen);
}

export class Scp03Session {
  state: Scp03State = 'IDLE';
  securityLevel = 0;
  protected readonly enc: BlockCipher;
  protected readonly mac: BlockCipher;
  protected readonly rmac: BlockCipher;
  protected readonly macCmac: Cmac;
  protected readonly rmacCmac: Cmac;
  /** MAC chaining value: the last full C-MAC (AmdD 6.2.3). */
  protected readonly mcv = new Uint8Array(BLOCK);
  /** Encryption counter as a 16-byte big-endian block (AmdD 6.2.6). */
  protected readonly counter = new Uint8Array(BLOCK);
  protected readonly icv = new Uint8Array(BLOCK);
  /** host challenge || card challenge: the KDF context (AmdD 6.2.1). */
  protected readonly context = new Uint8Array(2 * CHALLENGE_LEN);
  protected readonly scratch = new Uint8Array(BLOCK);

  constructor(aes: CipherFactory) {
    this.enc = aes();
    this.mac = aes();
    this.rmac = aes();
    this.macCmac = new Cmac(this.mac);
    this.rmacCmac = new Cmac(this.rmac);
  }

  /**
   * Keys a new session: S-ENC, S-MAC and S-RMAC, keyLen bytes each, at keys[0..], over
   * hostChallenge[hostOff..] || cardChallenge[cardOff..].
   */
  protected keySession(keys: Uint8Array, keyLen: number, hostChallenge: Uint8Array, hostOff: number, cardChallenge: Uint8Array, cardOff: number): void {
    this.close();
    this.enc.setKey(keys, 0, keyLen);
    this.mac.setKey(keys, keyLen, keyLen);
    this.rmac.setKey(keys, 2 * keyLen, keyLen);
    copy(hostChallenge, hostOff, this.context, 0, CHALLENGE_LEN);
    copy(cardChallenge, cardOff, this.context, CHALLENGE_LEN, CHALLENGE_LEN);
    this.state = 'INIT_UPDATED';
  }

  /** The card (DERIVE_CARD_CRYPTOGRAM) or host (DERIVE_HOST_CRYPTOGRAM) cryptogram into out[off, off + 8) (AmdD 6.2.2). */
  protected cryptogram(constant: number, out: Uint8Array, off: number): void {
    scp03Derive(this.macCmac, constant, this.context, 0, 2 * CHALLENGE_LEN, 8 * CRYPTOGRAM_LEN, out, off);
  }

  /** CMAC(S-MAC, MCV || buf[0, end)) into scratch: the C-MAC of a command whose header and data end at `end` (AmdD 6.2.4). */
  protected commandMac(buf: Uint8Array, end: number): void {
    const m = this.macCmac;
    m.startSameKey(); // one key per session: its subkeys serve every command
    m.update(this.mcv, 0, BLOCK);
    m.update(buf, 0, end);
    m.finish(this.scratch, 0);
  }

  /** CMAC(S-RMAC, MCV || buf[0, len) || SW) into scratch: the R-MAC (AmdD 6.2.5). */
  protected responseMac(buf: Uint8Array, len: number, sw1: number, sw2: number): void {
    const m = this.rmacCmac;
    m.startSameKey();
    m.update(this.mcv, 0, BLOCK);
    m.update(buf, 0, len);
    this.scratch[0] = sw1;
    this.scratch[1] = sw2;
    m.update(this.scratch, 0, 2);
    m.finish(this.scratch, 0);
  }

  /** ICV of C-DECRYPTION, E(S-ENC, counter) (AmdD 6.2.6), into icv. */
  protected commandIcv(): void {
    this.enc.encryptBlock(this.counter, 0, this.icv, 0);
  }

  /** ICV of R-ENCRYPTION, E(S-ENC, counter with its first byte 80) (AmdD 6.2.7), into icv. */
  protected responseIcv(): void {
    copy(this.counter, 0, this.icv, 0, BLOCK);
    this.icv[0] = 0x80;
    this.enc.encryptBlock(this.icv, 0, this.icv, 0);
  }

  /** The counter moves once per command after EXTERNAL AUTHENTICATE (AmdD 6.2.6). */
  protected incrementCounter(): void {
    for (let i = BLOCK - 1; i >= 0; i--) {
      this.counter[i] = (this.counter[i] + 1) & 0xff;
      if (this.counter[i] !== 0) return;
    }
  }

  /** Ends the session and wipes the session keys (GP: on error, deselect, reset). */
  close(): void {
    if (this.state === 'IDLE' && this.securityLevel === 0) return;
    this.enc.wipe();
    this.mac.wipe();
    this.rmac.wipe();
    this.macCmac.wipe();
    this.rmacCmac.wipe();
    fill(this.mcv, 0, BLOCK, 0);
    fill(this.context, 0, this.context.length, 0);
    fill(this.scratch, 0, BLOCK, 0);
    this.state = 'IDLE';
    this.securityLevel = 0;
  }
}
