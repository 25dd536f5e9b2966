/**
 * SCP03 secure channel, card side (GP Card Spec v2.3 Amendment D v1.1; cards.md §2).
 *
 * One session object per SE, built at boot; it holds only session keys (S-ENC, S-MAC, S-RMAC).
 * The static keys and the sequence counter stay in the secure channel module, which derives the
 * card challenge and the session keys and hands them to begin().
 *
 * States: IDLE -> (INITIALIZE UPDATE) INIT_UPDATED -> (EXTERNAL AUTHENTICATE) AUTHENTICATED.
 * Any MAC failure, a wrong host cryptogram, or close() returns to IDLE and wipes the keys.
 */
import { CommandApdu } from '../apdu';
import { shr } from '../bits';
import { copy, equalCt, fill } from '../bytes';
import type { BlockCipher, CipherFactory } from '../crypto/block-cipher';
import { cbcDecrypt, cbcEncrypt } from '../crypto/cbc';
import { Cmac } from '../crypto/cmac';
import { DERIVE_CARD_CRYPTOGRAM, DERIVE_HOST_CRYPTOGRAM, scp03Derive } from '../crypto/kdf';
import { pad80, unpad80 } from '../crypto/padding';
import { SW, isSuccess } from '../sw';

export type Scp03State = 'IDLE' | 'INIT_UPDATED' | 'AUTHENTICATED';

/** Security level bits (AmdD Table 7-3). */
export const SL_C_MAC = 0x01;
export const SL_C_DEC = 0x02;
export const SL_R_MAC = 0x10;
export const SL_R_ENC = 0x20;
/** The levels this card accepts in EXTERNAL AUTHENTICATE P1. */
export const SECURITY_LEVELS = [0x00, 0x01, 0x03, 0x11, 0x13, 0x33];

export const CHALLENGE_LEN = 8;
export const CRYPTOGRAM_LEN = 8;
export const MAC_LEN = 8;
export const KDD_LEN = 10;
export const SEQ_LEN = 3;
/** KDD(10) || KVN || 03 || i || card challenge(8) || card cryptogram(8) || sequence counter(3). */
export const INIT_UPDATE_RESPONSE_LEN = KDD_LEN + 3 + CHALLENGE_LEN + CRYPTOGRAM_LEN + SEQ_LEN;
const BLOCK = 16;

export class Scp03CardSession {
  state: Scp03State = 'IDLE';
  securityLevel = 0;
  private readonly enc: BlockCipher;
  private readonly mac: BlockCipher;
  private readonly rmac: BlockCipher;
  private readonly macCmac: Cmac;
  private readonly rmacCmac: Cmac;
  /** MAC chaining value: the last full C-MAC (AmdD 6.2.3). */
  private readonly mcv = new Uint8Array(BLOCK);
  /** Encryption counter as a 16-byte big-endian block (AmdD 6.2.6). */
  private readonly counter = new Uint8Array(BLOCK);
  private readonly icv = new Uint8Array(BLOCK);
  private readonly context = new Uint8Array(2 * CHALLENGE_LEN);
  private readonly scratch = new Uint8Array(BLOCK);

  constructor(aes: CipherFactory) {
    this.enc = aes();
    this.mac = aes();
    this.rmac = aes();
    this.macCmac = new Cmac(this.mac);
    this.rmacCmac = new Cmac(this.rmac);
  }

  /**
   * Starts a session after INITIALIZE UPDATE: takes the session keys (keyLen bytes each, at the
   * given offsets of keys: S-ENC, S-MAC, S-RMAC), computes the card cryptogram and writes the
   * INITIALIZE UPDATE response (INIT_UPDATE_RESPONSE_LEN bytes) to rsp[0..].
   */
  begin(
    keys: Uint8Array,
    keyLen: number,
    kdd: Uint8Array,
    kvn: number,
    i: number,
    hostChallenge: Uint8Array,
    hostOff: number,
    cardChallenge: Uint8Array,
    seq: Uint8Array,
    seqOff: number,
    rsp: Uint8Array,
  ): void {
    this.close();
    this.enc.setKey(keys, 0, keyLen);
    this.mac.setKey(keys, keyLen, keyLen);
    this.rmac.setKey(keys, 2 * keyLen, keyLen);
    copy(hostChallenge, hostOff, this.context, 0, CHALLENGE_LEN);
    copy(cardChallenge, 0, this.context, CHALLENGE_LEN, CHALLENGE_LEN);
    let o = 0;
    copy(kdd, 0, rsp, o, KDD_LEN);
    o += KDD_LEN;
    rsp[o++] = kvn;
    rsp[o++] = 0x03;
    rsp[o++] = i;
    copy(cardChallenge, 0, rsp, o, CHALLENGE_LEN);
    o += CHALLENGE_LEN;
    scp03Derive(this.macCmac, DERIVE_CARD_CRYPTOGRAM, this.context, 0, 2 * CHALLENGE_LEN, 64, rsp, o);
    o += CRYPTOGRAM_LEN;
    copy(seq, seqOff, rsp, o, SEQ_LEN);
    this.state = 'INIT_UPDATED';
  }

  /**
   * EXTERNAL AUTHENTICATE (AmdD 7.2): `84 82 SL 00 10 hostCryptogram(8) C-MAC(8)`.
   * Returns the status word; any failure closes the session.
   */
  externalAuthenticate(cmd: CommandApdu): number {
    if (this.state !== 'INIT_UPDATED') {
      this.close();
      return SW.ERR_CONDITIONS_NOT_SATISFIED;
    }
    if (cmd.lc !== CRYPTOGRAM_LEN + MAC_LEN || (cmd.cla & 0x04) === 0) {
      this.close();
      return cmd.lc !== CRYPTOGRAM_LEN + MAC_LEN ? SW.ERR_CHECKING_WRONG_LENGTH : SW.ERR_SECURITY_STATUS;
    }
    // The first C-MAC chains from zero (AmdD 6.2.3).
    fill(this.mcv, 0, BLOCK, 0);
    if (!this.verifyCmac(cmd)) {
      this.close();
      return SW.ERR_SECURITY_STATUS;
    }
    scp03Derive(this.macCmac, DERIVE_HOST_CRYPTOGRAM, this.context, 0, 2 * CHALLENGE_LEN, 64, this.scratch, 0);
    if (!equalCt(this.scratch, 0, cmd.buf, cmd.dataOff, CRYPTOGRAM_LEN)) {
      this.close();
      return SW.WARN_AUTH_FAILED;
    }
    const level = cmd.p1;
    if (SECURITY_LEVELS.indexOf(level) < 0) {
      this.close();
      return SW.ERR_WRONG_P1P2;
    }
    this.securityLevel = level;
    fill(this.counter, 0, BLOCK, 0);
    this.state = 'AUTHENTICATED';
    return SW.OK;
  }

  /**
   * Verifies and strips secure messaging from a command in place (AmdD 6.2.4, 6.2.6): checks the
   * C-MAC, decrypts the data when C-DEC is on, and rewrites cmd.cla/cmd.lc to the plain command.
   * Returns 0, or the status word to answer (the session is then closed).
   */
  unwrapCommand(cmd: CommandApdu): number {
    if (this.state !== 'AUTHENTICATED') {
      this.close();
      return SW.ERR_SECURITY_STATUS;
    }
    this.incrementCounter();
    const hasSm = (cmd.cla & 0x04) !== 0;
    if ((this.securityLevel & SL_C_MAC) === 0) {
      // SL 00: plain commands only.
      if (hasSm) return SW.ERR_SECURE_MESSAGING_NOT_SUPPORTED;
      return 0;
    }
    if (!hasSm || cmd.lc < MAC_LEN || !this.verifyCmac(cmd)) {
      this.close();
      return SW.ERR_SECURITY_STATUS;
    }
    cmd.lc -= MAC_LEN;
    cmd.cla = cmd.cla & 0xfb;
    if ((this.securityLevel & SL_C_DEC) !== 0 && cmd.lc > 0) {
      if (cmd.lc % BLOCK !== 0) {
        this.close();
        return SW.ERR_SECURITY_STATUS;
      }
      this.enc.encryptBlock(this.counter, 0, this.icv, 0);
      cbcDecrypt(this.enc, this.icv, 0, cmd.buf, cmd.dataOff, cmd.lc, cmd.buf, cmd.dataOff);
      const plain = unpad80(cmd.buf, cmd.dataOff, cmd.lc);
      if (plain < 0) {
        this.close();
        return SW.ERR_SECURITY_STATUS;
      }
      cmd.lc = plain;
    }
    return 0;
  }

  /**
   * Adds R-ENC and R-MAC to a response (AmdD 6.2.5, 6.2.7) when the level asks for them and the
   * status is a success; rsp holds dataLen bytes of data and must have room for 16 bytes of
   * padding and the 8-byte R-MAC. Returns the new data length.
   */
  wrapResponse(rsp: Uint8Array, dataLen: number, sw: number): number {
    if (this.state !== 'AUTHENTICATED' || (this.securityLevel & SL_R_MAC) === 0 || !isSuccess(sw)) return dataLen;
    let len = dataLen;
    if ((this.securityLevel & SL_R_ENC) !== 0 && len > 0) {
      copy(this.counter, 0, this.icv, 0, BLOCK);
      this.icv[0] = 0x80;
      this.enc.encryptBlock(this.icv, 0, this.icv, 0);
      len = pad80(rsp, 0, len, BLOCK);
      cbcEncrypt(this.enc, this.icv, 0, rsp, 0, len, rsp, 0);
    }
    this.scratch[0] = shr(sw, 8) & 0xff;
    this.scratch[1] = sw & 0xff;
    this.rmacCmac.start();
    this.rmacCmac.update(this.mcv, 0, BLOCK);
    this.rmacCmac.update(rsp, 0, len);
    this.rmacCmac.update(this.scratch, 0, 2);
    this.rmacCmac.finish(this.scratch, 0);
    copy(this.scratch, 0, rsp, len, MAC_LEN);
    return len + MAC_LEN;
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

  /** C-MAC over MCV || header (as received, Lc included) || data; updates the MCV on success. */
  private verifyCmac(cmd: CommandApdu): boolean {
    const macOff = cmd.dataOff + cmd.lc - MAC_LEN;
    this.macCmac.start();
    this.macCmac.update(this.mcv, 0, BLOCK);
    this.macCmac.update(cmd.buf, 0, macOff);
    this.macCmac.finish(this.scratch, 0);
    if (!equalCt(this.scratch, 0, cmd.buf, macOff, MAC_LEN)) return false;
    copy(this.scratch, 0, this.mcv, 0, BLOCK);
    return true;
  }

  private incrementCounter(): void {
    for (let i = BLOCK - 1; i >= 0; i--) {
      this.counter[i] = (this.counter[i] + 1) & 0xff;
      if (this.counter[i] !== 0) return;
    }
  }
}
