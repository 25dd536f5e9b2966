/**
 * The MCU's card-management session (ARCHITECTURE.md flow 1; docs/flows.md §1): with the platform's
 * grant the MCU opens an SCP03 session with the SE's secure channel module as its host (GP Card
 * Spec v2.3 Amendment D, AmdD 7.1) at security level 33 (C-MAC, C-DECRYPTION, R-MAC,
 * R-ENCRYPTION), on the secure messaging both ends share (gp/scp03-session.ts), runs GP commands
 * on it with send(), and end() wipes it. The ISD keys live in RAM only: in the grant until the
 * session keys are derived from them (then the grant is wiped), the session keys until end().
 *
 * The SE sits in the same firmware, so every exchange is a direct, synchronous transceive. The
 * session has a command buffer of its own, made with it, and borrows the relay's answer buffer
 * (the two never run in the same event).
 */
import { CommandApdu, LE_ABSENT, parseCommand } from '../apdu';
import { copy, equalCt, fill } from '../bytes';
import type { CipherFactory } from '../crypto/block-cipher';
import { cbcDecrypt, cbcEncrypt } from '../crypto/cbc';
import { DERIVE_CARD_CRYPTOGRAM, DERIVE_HOST_CRYPTOGRAM } from '../crypto/kdf';
import { pad80, unpad80 } from '../crypto/padding';
import { BLOCK, CHALLENGE_LEN, CRYPTOGRAM_LEN, MAC_LEN, Scp03Session, deriveSessionKeys } from '../gp/scp03-session';
import { ISD_AID } from '../se/aid';
import type { SecureElement } from '../se/secure-element';
import type { Random } from '../ports/random';
import { SW, isSuccess } from '../sw';
import { MANAGEMENT_SECURITY_LEVEL, MGMT_GRANT_REFUSED, MGMT_ILLEGAL_STATE, MGMT_PROTECTION, MGMT_SE_REFUSED } from './mcu-notes';
import { GRANT_AT_KEYS, GRANT_AT_KVN, checkGrant } from './permission';

/*
 * INITIALIZE UPDATE answer (AmdD Table 7-2, S8 mode with the pseudo-random card challenge the SE
 * announces in i): KDD(10) | KVN | 03 | i | card challenge(8) | card cryptogram(8) | sequence(3).
 */
const IU_AT_KVN = 10;
const IU_AT_SCP = 11;
const IU_AT_CARD_CHALLENGE = 13;
const IU_AT_CARD_CRYPTOGRAM = 21;
const IU_DATA_LEN = 32;
/** Where the host challenge sits in INITIALIZE UPDATE, 80 50 KVN 00 08 challenge 00. */
const AT_HOST_CHALLENGE = 5;
const MAX_KEY_LEN = 32;

export class ManagementSession extends Scp03Session {
  /** Status word of the last SE answer that failed (0 when none). */
  lastSw = 0;
  private readonly sessionKeys = new Uint8Array(3 * MAX_KEY_LEN);
  private readonly parsed = new CommandApdu();

  constructor(
    private readonly se: SecureElement,
    aes: CipherFactory,
    private readonly random: Random,
    private readonly cmd: Uint8Array,
    private readonly rsp: Uint8Array,
  ) {
    super(aes);
  }

  /**
   * Takes the grant in g[off, off + len) (wiping it whatever happens), then SELECT ISD,
   * INITIALIZE UPDATE and EXTERNAL AUTHENTICATE. Returns 0 when the session is open, or an MGMT_
   */
  open(g: Uint8Array, off: number, len: number, nowSeconds: number): number {
    const rc = this.authenticate(g, off, len, nowSeconds);
    fill(g, off, len, 0);
    fill(this.sessionKeys, 0, this.sessionKeys.length, 0);
    if (rc !== 0) this.end();
    return rc;
  }

  private authenticate(g: Uint8Array, off: number, len: number, nowSeconds: number): number {
    const keyLen = checkGrant(g, off, len, nowSeconds);
    if (keyLen < 0) return MGMT_GRANT_REFUSED;
    const c = this.cmd;
    const r = this.rsp;
    this.lastSw = 0;
    // SELECT ISD: 00 A4 04 00 Lc AID 00 (GPCS 11.9.2).
    const aidLen = ISD_AID.length;
    this.header(0x00, 0xa4, 0x04, aidLen);
    copy(ISD_AID, 0, c, 5, aidLen);
    c[5 + aidLen] = 0x00;
    if (this.exchange(6 + aidLen) < 0) return MGMT_SE_REFUSED;
    // INITIALIZE UPDATE: 80 50 KVN 00 08 host challenge 00 (AmdD 7.1.1).
    const kvn = g[off + GRANT_AT_KVN];
    this.header(0x80, 0x50, kvn, CHALLENGE_LEN);
    this.random.fill(c, AT_HOST_CHALLENGE, CHALLENGE_LEN);
    c[AT_HOST_CHALLENGE + CHALLENGE_LEN] = 0x00;
    const n = this.exchange(AT_HOST_CHALLENGE + CHALLENGE_LEN + 1);
    if (n < 0) return MGMT_SE_REFUSED;
    if (n !== IU_DATA_LEN || r[IU_AT_KVN] !== kvn || r[IU_AT_SCP] !== 0x03) return MGMT_PROTECTION;
    copy(c, AT_HOST_CHALLENGE, this.context, 0, CHALLENGE_LEN);
    copy(r, IU_AT_CARD_CHALLENGE, this.context, CHALLENGE_LEN, CHALLENGE_LEN);
    const keys = off + GRANT_AT_KEYS;
    deriveSessionKeys(this.macCmac, g, keys, keys + keyLen, keyLen, this.context, this.sessionKeys);
    this.keySession(this.sessionKeys, keyLen, c, AT_HOST_CHALLENGE, r, IU_AT_CARD_CHALLENGE);
    this.cryptogram(DERIVE_CARD_CRYPTOGRAM, this.scratch, 0);
    if (!equalCt(this.scratch, 0, r, IU_AT_CARD_CRYPTOGRAM, CRYPTOGRAM_LEN)) return MGMT_PROTECTION;
    // EXTERNAL AUTHENTICATE 84 82 SL 00 10 host cryptogram C-MAC; its C-MAC chains from zero (AmdD 6.2.3).
    this.header(0x84, 0x82, MANAGEMENT_SECURITY_LEVEL, CRYPTOGRAM_LEN + MAC_LEN);
    this.cryptogram(DERIVE_HOST_CRYPTOGRAM, c, 5);
    fill(this.mcv, 0, BLOCK, 0);
    this.appendMac(c, 5 + CRYPTOGRAM_LEN);
    if (this.exchange(5 + CRYPTOGRAM_LEN + MAC_LEN) !== 0) return MGMT_SE_REFUSED;
    fill(this.counter, 0, BLOCK, 0);
    this.securityLevel = MANAGEMENT_SECURITY_LEVEL;
    this.state = 'AUTHENTICATED';
    return 0;
  }

  /**
   * Sends the plain short command apdu[0, len) protected (C-DECRYPTION of its data, AmdD 6.2.6;
   * C-MAC, 6.2.4) and writes the plain answer (data || SW) into out: the R-MAC checked (6.2.5),
   * the data deciphered (6.2.7); error status words carry no protection. Returns its length, or an
   * MGMT_ERROR (a protection failure ends the session).
   */
  send(apdu: Uint8Array, len: number, out: Uint8Array): number {
    const p = this.parsed;
    if (this.state !== 'AUTHENTICATED') return MGMT_ILLEGAL_STATE;
    if (parseCommand(apdu, len, p) !== 0 || p.extended || p.lc > 255 - BLOCK - MAC_LEN) return MGMT_PROTECTION;
    const c = this.cmd;
    this.incrementCounter();
    let n = 0;
    if (p.lc > 0) {
      copy(apdu, p.dataOff, c, 5, p.lc);
      n = pad80(c, 5, p.lc, BLOCK);
      this.commandIcv();
      cbcEncrypt(this.enc, this.icv, 0, c, 5, n, c, 5);
    }
    this.header(apdu[0] | 0x04, apdu[1], apdu[2], n + MAC_LEN);
    c[3] = apdu[3];
    this.appendMac(c, 5 + n);
    n = n + 5 + MAC_LEN;
    // Le 00: the protected answer grows by R-ENC padding and the R-MAC.
    if (p.le !== LE_ABSENT) c[n++] = 0x00;
    const r = this.rsp;
    const m = this.se.transceive(c, n, r) - 2;
    const sw1 = r[m];
    const sw2 = r[m + 1];
    let dataLen = 0;
    if (isSuccess((sw1 << 8) | sw2)) {
      dataLen = m - MAC_LEN;
      if (dataLen < 0 || dataLen % BLOCK !== 0) return this.fail();
      this.responseMac(r, dataLen, sw1, sw2);
      if (!equalCt(this.scratch, 0, r, dataLen, MAC_LEN)) return this.fail();
      if (dataLen > 0) {
        this.responseIcv();
        cbcDecrypt(this.enc, this.icv, 0, r, 0, dataLen, out, 0);
        dataLen = unpad80(out, 0, dataLen);
        if (dataLen < 0) return this.fail();
      }
    }
    out[dataLen] = sw1;
    out[dataLen + 1] = sw2;
    return dataLen + 2;
  }

  /** Ends the session: every key here is wiped and the SE's side closes (reset: ISD deselected). */
  end(): void {
    this.close();
    fill(this.cmd, 0, this.cmd.length, 0);
    fill(this.rsp, 0, this.rsp.length, 0);
    this.se.reset();
  }

  /** CLA INS P1 00 Lc into the command buffer. */
  private header(cla: number, ins: number, p1: number, lc: number): void {
    const c = this.cmd;
    c[0] = cla;
    c[1] = ins;
    c[2] = p1;
    c[3] = 0x00;
    c[4] = lc;
  }

  /** The C-MAC of c[0, end) becomes the MCV; its first 8 octets go to c[end] (AmdD 6.2.4). */
  private appendMac(c: Uint8Array, end: number): void {
    this.commandMac(c, end);
    copy(this.scratch, 0, this.mcv, 0, BLOCK);
    copy(this.scratch, 0, c, end, MAC_LEN);
  }

  /** Sends cmd[0, n) to the SE; the answer's data length when it is 9000, else -1 (lastSw says why). */
  private exchange(n: number): number {
    const m = this.se.transceive(this.cmd, n, this.rsp) - 2;
    const sw = (this.rsp[m] << 8) | this.rsp[m + 1];
    if (sw === SW.OK) return m;
    this.lastSw = sw;
    return -1;
  }

  private fail(): number {
    this.end();
    return MGMT_PROTECTION;
  }
}
