/**
 * The MCU's card-management session (ARCHITECTURE.md flow 1): with a permission grant it opens an
 * SCP03 session with the SE's secure channel module (gp/scp03-host.ts, C-MAC + C-DEC + R-MAC +
 * R-ENC), runs GP commands on it, and wipes the keys when the session ends. The keys live in RAM
 * only: in the grant buffer until open() copies them into the SCP03 host (and wipes the grant), in
 * the host until close().
 *
 * The SE sits in the same firmware, so the exchange is a direct, synchronous transceive.
 */
import { copy, fill } from '../bytes';
import type { CipherFactory } from '../crypto/block-cipher';
import { buildSelect } from '../gp/select';
import { Scp03HostSession } from '../gp/scp03-host';
import { CHALLENGE_LEN } from '../gp/scp03-host';
import { MAX_COMMAND_LEN, MAX_RESPONSE_LEN, SecureElement } from '../se/secure-element';
import { ISD_AID } from '../se/aid';
import type { Random } from '../../hal/random';
import { SW } from '../sw';
import { GRANT_AT_KEYS, GRANT_AT_KVN, PermissionEvent, PermissionState, checkGrant, permissionStep } from './permission';

/** C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION (GPCS 11.1.2 / AmdD Table 7-3). */
export const MANAGEMENT_SECURITY_LEVEL = 0x33;

/** open() and send() failures (negative, so lengths stay non-negative). */
export const MGMT_ERROR = {
  ILLEGAL_STATE: -1,
  GRANT_REFUSED: -2,
  SE_REFUSED: -3,
  PROTECTION: -4,
} as const;

export class ManagementSession {
  state: PermissionState = 'IDLE';
  /** Status word of the last SE answer that failed (0 when none). */
  lastSw = 0;
  private readonly se: SecureElement;
  private readonly random: Random;
  private readonly scp: Scp03HostSession;
  private readonly cmd = new Uint8Array(MAX_COMMAND_LEN);
  private readonly rsp = new Uint8Array(MAX_RESPONSE_LEN);
  private readonly challenge = new Uint8Array(CHALLENGE_LEN);
  private readonly enc = new Uint8Array(32);
  private readonly mac = new Uint8Array(32);
  private readonly dek = new Uint8Array(32);

  constructor(se: SecureElement, aes: CipherFactory, random: Random) {
    this.se = se;
    this.random = random;
    this.scp = new Scp03HostSession(aes);
  }

  private move(event: PermissionEvent): boolean {
    const next = permissionStep(this.state, event);
    if (next === 'ILLEGAL') return false;
    this.state = next;
    return true;
  }

  /** The request is on its way (the caller sends seSerial to TAR_PERMISSION). */
  requested(): boolean {
    return this.move('REQUEST');
  }

  /**
   * Takes the grant in g[0, len) (wiping it whatever happens), then SELECT ISD, INITIALIZE UPDATE
   * and EXTERNAL AUTHENTICATE. Returns 0 when the session is open, or an MGMT_ERROR.
   */
  open(g: Uint8Array, len: number, nowSeconds: number): number {
    const keyLen = checkGrant(g, len, nowSeconds);
    if (keyLen < 0 || !this.move('GRANT')) {
      fill(g, 0, g.length, 0);
      this.move('DENY');
      return MGMT_ERROR.GRANT_REFUSED;
    }
    const kvn = g[GRANT_AT_KVN];
    const enc = this.enc.subarray(0, keyLen);
    const mac = this.mac.subarray(0, keyLen);
    const dek = this.dek.subarray(0, keyLen);
    copy(g, GRANT_AT_KEYS, enc, 0, keyLen);
    copy(g, GRANT_AT_KEYS + keyLen, mac, 0, keyLen);
    copy(g, GRANT_AT_KEYS + 2 * keyLen, dek, 0, keyLen);
    fill(g, 0, g.length, 0);
    const set = this.scp.setStaticKeys(enc, mac, dek);
    fill(this.enc, 0, 32, 0);
    fill(this.mac, 0, 32, 0);
    fill(this.dek, 0, 32, 0);
    if (set !== 0) return this.abort(MGMT_ERROR.GRANT_REFUSED);
    let n = buildSelect(ISD_AID, this.cmd);
    if (this.exchange(n) !== SW.OK) return this.abort(MGMT_ERROR.SE_REFUSED);
    this.random.fill(this.challenge, 0, CHALLENGE_LEN);
    n = this.scp.buildInitializeUpdate(kvn, this.challenge, this.cmd);
    if (n < 0) return this.abort(MGMT_ERROR.PROTECTION);
    const iu = this.se.transceive(this.cmd, n, this.rsp);
    if (this.scp.parseInitializeUpdateResponse(this.rsp, iu) !== 0) return this.abort(MGMT_ERROR.PROTECTION);
    n = this.scp.buildExternalAuthenticate(MANAGEMENT_SECURITY_LEVEL, this.cmd);
    if (n < 0) return this.abort(MGMT_ERROR.PROTECTION);
    const ea = this.se.transceive(this.cmd, n, this.rsp);
    if (this.scp.checkExternalAuthenticateResponse(this.rsp, ea) !== 0) return this.abort(MGMT_ERROR.SE_REFUSED);
    this.move('OPENED');
    return 0;
  }

  /**
   * Sends the plain command apdu[0, len) protected, and writes the plain answer (data || SW) into
   * out. Returns its length or an MGMT_ERROR.
   */
  send(apdu: Uint8Array, len: number, out: Uint8Array): number {
    if (this.state !== 'OPEN') return MGMT_ERROR.ILLEGAL_STATE;
    const n = this.scp.wrapCommand(apdu, len, this.cmd);
    if (n < 0) return MGMT_ERROR.PROTECTION;
    const r = this.se.transceive(this.cmd, n, this.rsp);
    const m = this.scp.unwrapResponse(this.rsp, r, out);
    if (m < 0) return this.abort(MGMT_ERROR.PROTECTION);
    return m;
  }

  /** Ends the session: the SE's side closes (ISD deselected) and every key here is wiped. */
  close(): void {
    this.scp.wipe();
    fill(this.cmd, 0, this.cmd.length, 0);
    fill(this.rsp, 0, this.rsp.length, 0);
    this.se.reset();
    this.move('CLOSE');
  }

  /** True when the host session holds no key (after close, or before open). */
  keysWiped(): boolean {
    return this.scp.state === 'IDLE' || this.scp.state === 'CLOSED';
  }

  private exchange(n: number): number {
    const r = this.se.transceive(this.cmd, n, this.rsp);
    const sw = (this.rsp[r - 2] << 8) | this.rsp[r - 1];
    if (sw !== SW.OK) this.lastSw = sw;
    return sw;
  }

  private abort(code: number): number {
    if (this.scp.lastSw !== 0) this.lastSw = this.scp.lastSw;
    this.close();
    return code;
  }
}
