/**
 * SCP03 secure channel, card side (GP Card Specification v2.3.1 Amendment D v1.1.1), on the
 * secure messaging both ends share (gp/scp03-session.ts).
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
import { cbcDecrypt, cbcEncrypt } from '../crypto/cbc';
import { DERIVE_CARD_CRYPTOGRAM, DERIVE_HOST_CRYPTOGRAM } from '../crypto/kdf';
import { pad80, unpad80 } from '../crypto/padding';
import {
  BLOCK, CHALLENGE_LEN, CRYPTOGRAM_LEN, MAC_LEN, SL_C_DEC, SL_C_MAC, SL_R_ENC, SL_R_MAC, Scp03Session,
} from '../gp/scp03-session';
import { SW, isSuccess } from '../sw';

/** The levels this card accepts in EXTERNAL AUTHENTICATE P1. */
export const SECURITY_LEVELS = [0x00, 0x01, 0x03, 0x11, 0x13, 0x33];

export const KDD_LEN = 10;
export const SEQ_LEN = 3;
/** KDD(10) || KVN || 03 || i || card challenge(8) || card cryptogram(8) || sequence counter(3). */
export const INIT_UPDATE_RESPONSE_LEN = KDD_LEN + 3 + CHALLENGE_LEN + CRYPTOGRAM_LEN + SEQ_LEN;

export class Scp03CardSession extends Scp03Session {
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
    this.keySession(keys, keyLen, hostChallenge, hostOff, cardChallenge, 0);
    let o = 0;
    copy(kdd, 0, rsp, o, KDD_LEN);
    o += KDD_LEN;
    rsp[o++] = kvn;
    rsp[o++] = 0x03;
    rsp[o++] = i;
    copy(cardChallenge, 0, rsp, o, CHALLENGE_LEN);
    o += CHALLENGE_LEN;
    this.cryptogram(DERIVE_CARD_CRYPTOGRAM, rsp, o);
    o += CRYPTOGRAM_LEN;
    copy(seq, seqOff, rsp, o, SEQ_LEN);
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
    this.cryptogram(DERIVE_HOST_CRYPTOGRAM, this.scratch, 0);
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
      this.commandIcv();
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
      this.responseIcv();
      len = pad80(rsp, 0, len, BLOCK);
      cbcEncrypt(this.enc, this.icv, 0, rsp, 0, len, rsp, 0);
    }
    this.responseMac(rsp, len, shr(sw, 8) & 0xff, sw & 0xff);
    copy(this.scratch, 0, rsp, len, MAC_LEN);
    return len + MAC_LEN;
  }

  /** C-MAC over MCV || header (as received, Lc included) || data; updates the MCV on success. */
  private verifyCmac(cmd: CommandApdu): boolean {
    const macOff = cmd.dataOff + cmd.lc - MAC_LEN;
    this.commandMac(cmd.buf, macOff);
    if (!equalCt(this.scratch, 0, cmd.buf, macOff, MAC_LEN)) return false;
    copy(this.scratch, 0, this.mcv, 0, BLOCK);
    return true;
  }
}
