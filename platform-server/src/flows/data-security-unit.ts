/**
 * The data security unit: the only flow code that touches SE keys.
 *
 * - isdKeys: the SE's ISD key set, diversified from KMC over the SE serial (pki/diversify.ts, the
 *   one scheme `tapcard gp --kmc` uses too).
 * - permissionGrant: that key set with an expiry, for the MCU (flow 1). It leaves the platform only
 *   inside a secured PoR, ciphered and checksummed under the device's link keys.
 * - SeChannel: the platform's SCP03 session with one SE for a download (flow 2), at C-MAC + C-DEC
 *   + R-MAC + R-ENC, so what the MCU relays is neither readable nor changeable by it: the target
 *   card information comes back R-ENC'd (GET STATUS) and the package goes down C-DEC'd (LOAD).
 *   SCP03 wrapping is deterministic given the session's inputs, so a session survives a platform
 *   restart without storing a key: restore() derives it again from KMC, the host challenge and the
 *   card's INITIALIZE UPDATE answer (both public), and re-wraps the commands the SE already took.
 *
 * Keys are wiped after use; logs and the audit log only ever see KCVs.
 */
import { randomFillSync } from 'node:crypto';
import { NodeAes } from '../../../net/crypto/node-aes';
import { CommandApdu, LE_ABSENT, parseCommand } from '../../../firmware/src/core/apdu';
import { SHORT_HEADER_LEN } from '../../../firmware/src/core/gp/constants';
import { BLOCK, MAC_LEN } from '../../../firmware/src/core/gp/scp03-session';
import { buildSelect } from '../../../firmware/src/core/gp/select';
import { CHAIN_LEN, Scp03HostSession } from '../../../firmware/src/core/gp/scp03-host';
import { SCP03_ERROR } from '../../../firmware/src/core/gp/scp03-errors';
import { encodeGrant, grantLength } from '../../../firmware/src/core/mcu/permission';
import { ISD_AID } from '../../../firmware/src/core/se/aid';
import { OWNER_PLATFORM } from '../db/key-store';
import { diversifyIsdKeys, wipeIsdKeys, type IsdKeys } from '../pki/diversify';
import { PLATFORM_KEYS, type Platform } from '../platform-home';

/** C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION. */
export const DOWNLOAD_SECURITY_LEVEL = 0x33;
export const MAX_APDU = 261 + 16;

export function isdKeys(p: Platform, seSerialHex: string): IsdKeys {
  const kmc = p.keys.get(OWNER_PLATFORM, PLATFORM_KEYS.KMC);
  try {
    return diversifyIsdKeys(kmc, Buffer.from(seSerialHex, 'hex'));
  } finally {
    kmc.fill(0);
  }
}

/** The grant bytes for the MCU (core/mcu/permission.ts layout) from the SE's ISD keys (isdKeys; the caller wipes both after use). */
export function permissionGrant(k: IsdKeys, kvn: number, expiresAt: number): Uint8Array {
  const out = new Uint8Array(grantLength(k.enc.length));
  if (encodeGrant(kvn, expiresAt, k.enc, k.mac, k.dek, out) < 0) throw new Error('permission grant: bad ISD key length');
  return out;
}

const HOST_CHALLENGE_LEN = 8;
/** Host challenges drawn from the CSPRNG 32 at a time: one randomBytes(8) cost ~5.4 us of CPU here, a pooled one ~0.3 us. */
const challengePool = Buffer.alloc(HOST_CHALLENGE_LEN * 32);
let challengeAt = challengePool.length;

/**
 * A fresh SCP03 host challenge (GP Amendment D §7.1.1: 8 random octets, sent in the clear in
 * INITIALIZE UPDATE), hex. Each is used once: its octets are zeroed in the pool as they are taken.
 */
function hostChallenge(): string {
  if (challengeAt + HOST_CHALLENGE_LEN > challengePool.length) {
    randomFillSync(challengePool);
    challengeAt = 0;
  }
  const hex = challengePool.toString('hex', challengeAt, challengeAt + HOST_CHALLENGE_LEN);
  challengePool.fill(0, challengeAt, challengeAt + HOST_CHALLENGE_LEN);
  challengeAt += HOST_CHALLENGE_LEN;
  return hex;
}

export class SeChannelError extends Error {
  constructor(
    message: string,
    /** SCP03_ERROR code, or the SE's status word in sw. */
    readonly scpCode: number,
    readonly sw: number,
  ) {
    super(message);
  }
}

/** The public inputs a session is derived from (kept in the job's context). */
export interface SessionSeed {
  hostChallenge: string;
  /** INITIALIZE UPDATE answer, data || SW, hex. */
  initUpdateResponse: string;
}

export class SeChannel {
  private readonly scp = new Scp03HostSession(() => new NodeAes());
  private readonly out = new Uint8Array(MAX_APDU + 16);
  /** Commands wrapped since EXTERNAL AUTHENTICATE: a session's state follows from its seed and these. */
  private wraps = 0;

  private constructor(private readonly kvn: number) {}

  /** Starts a session: keys for this SE, a fresh host challenge. Returns the channel and its seed half. */
  static begin(p: Platform, seSerialHex: string, kvn: number): { channel: SeChannel; hostChallenge: string } {
    const ch = new SeChannel(kvn);
    ch.setKeys(p, seSerialHex);
    return { channel: ch, hostChallenge: hostChallenge() };
  }

  /** Rebuilds a session from its seed and re-wraps the commands the SE already accepted. */
  static restore(p: Platform, seSerialHex: string, kvn: number, seed: SessionSeed, accepted: Uint8Array[]): SeChannel {
    const ch = new SeChannel(kvn);
    ch.setKeys(p, seSerialHex);
    ch.initializeUpdate(seed.hostChallenge);
    ch.externalAuthenticate(Buffer.from(seed.initUpdateResponse, 'hex'));
    ch.authenticated(Uint8Array.from([0x90, 0x00]));
    for (const c of accepted) ch.wrap(c);
    return ch;
  }

  selectIsd(): Uint8Array {
    const n = buildSelect(ISD_AID, this.out);
    return this.out.slice(0, n);
  }

  initializeUpdate(hostChallengeHex: string): Uint8Array {
    return this.check(this.scp.buildInitializeUpdate(this.kvn, Buffer.from(hostChallengeHex, 'hex'), this.out), 'INITIALIZE UPDATE');
  }

  /** Checks the card cryptogram in the INITIALIZE UPDATE answer; returns EXTERNAL AUTHENTICATE. */
  externalAuthenticate(initUpdateResponse: Uint8Array): Uint8Array {
    this.check(this.scp.parseInitializeUpdateResponse(initUpdateResponse, initUpdateResponse.length), 'INITIALIZE UPDATE response');
    return this.check(this.scp.buildExternalAuthenticate(DOWNLOAD_SECURITY_LEVEL, this.out), 'EXTERNAL AUTHENTICATE');
  }

  authenticated(response: Uint8Array): void {
    this.check(this.scp.checkExternalAuthenticateResponse(response, response.length), 'EXTERNAL AUTHENTICATE response');
  }

  /**
   * The length wrap() gives a short command APDU, without moving the session: at
   * DOWNLOAD_SECURITY_LEVEL the data field is 80-padded to whole blocks and ciphered (AmdD 6.2.6),
   * then the 8-octet C-MAC follows (AmdD 6.2.4); Le stays.
   */
  static wrappedLength(plain: Uint8Array): number {
    const cmd = new CommandApdu();
    if (parseCommand(plain, plain.length, cmd) !== 0 || cmd.extended) throw new SeChannelError('wrap: not a short command APDU', SCP03_ERROR.MALFORMED_COMMAND, 0);
    const data = cmd.lc > 0 ? cmd.lc + BLOCK - (cmd.lc % BLOCK) : 0;
    return SHORT_HEADER_LEN + data + MAC_LEN + (cmd.le === LE_ABSENT ? 0 : 1);
  }

  /** The protected form of a plain command APDU. */
  wrap(plain: Uint8Array): Uint8Array {
    const wrapped = this.check(this.scp.wrapCommand(plain, plain.length, this.out), 'wrap');
    this.wraps++;
    return wrapped;
  }

  /** How many commands the session has wrapped since it was authenticated (restore: the accepted ones). */
  get wrapped(): number {
    return this.wraps;
  }

  /** The plain answer (data || SW) of a protected response; throws on a bad R-MAC. */
  unwrap(response: Uint8Array): Uint8Array {
    const buf = new Uint8Array(response.length + 16);
    const n = this.scp.unwrapResponse(response, response.length, buf);
    if (n < 0) throw new SeChannelError(`response protection: SCP03 error ${n}`, n, 0);
    return buf.slice(0, n);
  }

  /**
   * What the answer to the last command wrapped is checked against (its MCV and counter): with it,
   * unwrapOf checks that answer after later commands were wrapped (several in flight at once).
   */
  chain(): Uint8Array {
    const c = new Uint8Array(CHAIN_LEN);
    this.scp.saveChain(c, 0);
    return c;
  }

  /** unwrap() of the answer to the command whose chain() this is; the session's own chain stays. */
  unwrapOf(chain: Uint8Array, response: Uint8Array): Uint8Array {
    const buf = new Uint8Array(response.length + 16);
    const n = this.scp.unwrapResponseOf(chain, 0, response, response.length, buf);
    if (n < 0) throw new SeChannelError(`response protection: SCP03 error ${n}`, n, 0);
    return buf.slice(0, n);
  }

  close(): void {
    this.scp.wipe();
    this.out.fill(0);
  }

  private setKeys(p: Platform, seSerialHex: string): void {
    const k = isdKeys(p, seSerialHex);
    try {
      this.scp.setStaticKeys(k.enc, k.mac, k.dek);
    } finally {
      wipeIsdKeys(k);
    }
  }

  private check(n: number, what: string): Uint8Array {
    if (n < 0) {
      const sw = n === SCP03_ERROR.CARD_STATUS ? this.scp.lastSw : 0;
      throw new SeChannelError(`${what}: SCP03 error ${n}${sw !== 0 ? ` (SW ${sw.toString(16)})` : ''}`, n, sw);
    }
    return this.out.slice(0, n);
  }
}
