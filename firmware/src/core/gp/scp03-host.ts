/**
 * SCP03 off-card (host) side, sans-I/O: builds INITIALIZE UPDATE and EXTERNAL AUTHENTICATE, checks
 * the card cryptogram, then wraps commands (C-MAC, C-DECRYPTION) and unwraps responses (R-MAC,
 * R-ENCRYPTION). GP Card Specification Amendment D v1.1.1 (AmdD)
 *
 * The transport is the caller's: it sends what the build/wrap methods write and hands back what the
 * card answered. Every method returns a length or 0 on success and a negative SCP03_ERROR code
 * otherwise (the card's status word, if that was the cause, is in `lastSw`). All buffers are
 * allocated once in the constructor; nothing allocates per command. Static keys stay until wipe();
 * session keys are dropped on every failure and on wipe().
 *
 * State machine (scp03HostStep): IDLE -> INIT_SENT -> CARD_VERIFIED -> EXT_AUTH_SENT ->
 * AUTHENTICATED; any failure -> CLOSED. A new INITIALIZE UPDATE may start over from any state
 * (AmdD 5.6: it terminates the current session).
 */
import { shr } from '../bits';
import { copy, equalCt, fill, readU24, wipe } from '../bytes';
import { encodeCommand, CommandApdu, LE_ABSENT, parseCommand } from '../apdu';
import { BlockCipher, CipherFactory } from '../crypto/block-cipher';
import { cbcDecrypt, cbcEncrypt } from '../crypto/cbc';
import { Cmac } from '../crypto/cmac';
import {
  DERIVE_CARD_CRYPTOGRAM, DERIVE_HOST_CRYPTOGRAM, DERIVE_S_ENC, DERIVE_S_MAC, DERIVE_S_RMAC, scp03Derive,
} from '../crypto/kdf';
import { pad80, unpad80 } from '../crypto/padding';
import { SW } from '../sw';
import {
  CLA_GP, CLA_SECURE_MESSAGING_BIT, INS_EXTERNAL_AUTHENTICATE, INS_INITIALIZE_UPDATE, SHORT_HEADER_LEN, SHORT_LC_MAX,
} from './constants';
import {
  I_PSEUDO_RANDOM_CHALLENGE, I_S16_MODE, cardSupportsLevel, hasCDec, hasREnc, hasRMac, isSecurityLevel,
} from './security-level';
import { SCP03_ERROR } from './scp03-errors';
import { Scp03HostEvent, Scp03HostState, scp03HostStep } from './scp03-host-state';

export const CHALLENGE_LEN = 8;
export const CRYPTOGRAM_LEN = 8;
export const KDD_LEN = 10;
export const MAC_LEN = 8;
const BLOCK = 16;
const MAX_KEY_LEN = 32;
const SCP03_ID = 0x03;
/** Octets of a saved chain (saveChain): MCV || encryption counter. */
export const CHAIN_LEN = 2 * BLOCK;

/*
 * INITIALIZE UPDATE response data, S8 mode (AmdD Table 7-2):
 *   0..9    key diversification data (10)
 *   10      key version number
 *   11      secure channel protocol identifier, 03
 *   12      "i" parameter
 *   13..20  card challenge (8)
 *   21..28  card cryptogram (8)
 *   29..31  sequence counter (3), only when i b5 (pseudo-random challenge) is set
 */
const AT_KVN = 10;
const AT_SCP_ID = 11;
const AT_I = 12;
const AT_CARD_CHALLENGE = 13;
const AT_CARD_CRYPTOGRAM = 21;
const AT_SEQUENCE = 29;
const IU_RESPONSE_LEN = 29;
const IU_RESPONSE_LEN_WITH_SEQUENCE = 32;

/** INITIALIZE UPDATE is 80 50 KVN 00 08 challenge(8) 00; EXTERNAL AUTHENTICATE 84 82 SL 00 10 cryptogram(8) C-MAC(8). */
export const INITIALIZE_UPDATE_LEN = SHORT_HEADER_LEN + CHALLENGE_LEN + 1;
export const EXTERNAL_AUTHENTICATE_LEN = SHORT_HEADER_LEN + CRYPTOGRAM_LEN + MAC_LEN;

/** AmdD 6.2.5: only 9000 and warnings (62xx, 63xx) carry R-MAC / R-ENC; errors are the bare SW. */
export function isProtectedStatus(sw: number): boolean {
  const sw1 = shr(sw, 8) & 0xff;
  return sw === SW.OK || sw1 === 0x62 || sw1 === 0x63;
}

export class Scp03HostSession {
  private stateNow: Scp03HostState = 'IDLE';
  private readonly kdfCipher: BlockCipher;
  private readonly sEnc: BlockCipher;
  private readonly sMac: BlockCipher;
  private readonly sRmac: BlockCipher;
  private readonly kdfMac: Cmac;
  private readonly cMac: Cmac;
  private readonly rMac: Cmac;
  private readonly keyEnc = new Uint8Array(MAX_KEY_LEN);
  private readonly keyMac = new Uint8Array(MAX_KEY_LEN);
  private readonly keyDek = new Uint8Array(MAX_KEY_LEN);
  private keyLen = 0;
  /** Session key bytes exist only between derivation and keying the ciphers. */
  private readonly sessionKey = new Uint8Array(MAX_KEY_LEN);
  /** hostChallenge || cardChallenge: the KDF context of AmdD 6.2.1/6.2.2. */
  private readonly context = new Uint8Array(2 * CHALLENGE_LEN);
  private readonly hostCryptogram = new Uint8Array(CRYPTOGRAM_LEN);
  private readonly scratch = new Uint8Array(BLOCK);
  /** MAC chaining value (AmdD 6.2.3). */
  private readonly mcv = new Uint8Array(BLOCK);
  /** Encryption counter, big-endian, one block (AmdD 6.2.6). */
  private readonly counter = new Uint8Array(BLOCK);
  private readonly icv = new Uint8Array(BLOCK);
  /** The session's own chain while unwrapResponseOf checks an answer against a saved one. */
  private readonly heldChain = new Uint8Array(CHAIN_LEN);
  private readonly parsed = new CommandApdu();
  private readonly kddBytes = new Uint8Array(KDD_LEN);
  private requestedKvn = 0;
  private level = 0;
  /** Key version, "i" and sequence counter the card reported; -1 before INITIALIZE UPDATE. */
  keyVersion = -1;
  iParameter = -1;
  sequenceCounter = -1;
  /** Status word of the last card answer that caused CARD_STATUS (0 when none). */
  lastSw = 0;

  constructor(cipherFactory: CipherFactory) {
    this.kdfCipher = cipherFactory();
    this.sEnc = cipherFactory();
    this.sMac = cipherFactory();
    this.sRmac = cipherFactory();
    this.kdfMac = new Cmac(this.kdfCipher);
    this.cMac = new Cmac(this.sMac);
    this.rMac = new Cmac(this.sRmac);
  }

  get state(): Scp03HostState {
    return this.stateNow;
  }

  /** The security level of the open session (0 before EXTERNAL AUTHENTICATE). */
  get securityLevel(): number {
    return this.level;
  }

  /** Key diversification data of the last INITIALIZE UPDATE response (the SE serial in tapcard). */
  copyKdd(out: Uint8Array, outOff: number): void {
    copy(this.kddBytes, 0, out, outOff, KDD_LEN);
  }

  /** Static key set (AmdD 6.1): K-ENC, K-MAC, K-DEK of one length, 16, 24 or 32 bytes. */
  setStaticKeys(enc: Uint8Array, mac: Uint8Array, dek: Uint8Array): number {
    const n = enc.length;
    if ((n !== 16 && n !== 24 && n !== 32) || mac.length !== n || dek.length !== n) return SCP03_ERROR.BAD_ARGUMENT;
    copy(enc, 0, this.keyEnc, 0, n);
    copy(mac, 0, this.keyMac, 0, n);
    copy(dek, 0, this.keyDek, 0, n);
    this.keyLen = n;
    return 0;
  }

  /**
   * Writes INITIALIZE UPDATE (GPCS D.4.1): 80 50 KVN 00 08 hostChallenge 00. KVN 0 = any key set.
   * The static keys may be set before or after this (after: keys diversified over the KDD the
   * card answers, diversify.ts), but before parseInitializeUpdateResponse.
   */
  buildInitializeUpdate(kvn: number, hostChallenge: Uint8Array, out: Uint8Array): number {
    if (kvn < 0 || kvn > 0x7f || hostChallenge.length !== CHALLENGE_LEN) return SCP03_ERROR.BAD_ARGUMENT;
    if (out.length < INITIALIZE_UPDATE_LEN) return SCP03_ERROR.OUTPUT_TOO_SMALL;
    const n = this.enter('SEND_INITIALIZE_UPDATE');
    if (n !== 0) return n;
    this.dropSession();
    this.keyVersion = -1;
    this.iParameter = -1;
    this.sequenceCounter = -1;
    this.requestedKvn = kvn;
    copy(hostChallenge, 0, this.context, 0, CHALLENGE_LEN);
    return encodeCommand(CLA_GP, INS_INITIALIZE_UPDATE, kvn, 0x00, hostChallenge, 0, CHALLENGE_LEN, 256, out, 0);
  }

  /**
   * Checks the INITIALIZE UPDATE response (data || SW, layout above), derives S-ENC, S-MAC and
   * S-RMAC (AmdD 6.2.1) and verifies the card cryptogram in constant time (AmdD 6.2.2.2).
   */
  parseInitializeUpdateResponse(rapdu: Uint8Array, len: number): number {
    if (this.stateNow !== 'INIT_SENT') return SCP03_ERROR.WRONG_STATE;
    if (len < 2 || len > rapdu.length) return this.fail(SCP03_ERROR.RESPONSE_LENGTH);
    const sw = (rapdu[len - 2] << 8) | rapdu[len - 1];
    if (sw !== SW.OK) return this.failWithSw(sw);
    if (this.keyLen === 0) return this.fail(SCP03_ERROR.NO_KEYS);
    const dataLen = len - 2;
    if (dataLen !== IU_RESPONSE_LEN && dataLen !== IU_RESPONSE_LEN_WITH_SEQUENCE) return this.fail(SCP03_ERROR.RESPONSE_LENGTH);
    if (rapdu[AT_SCP_ID] !== SCP03_ID) return this.fail(SCP03_ERROR.NOT_SCP03);
    const i = rapdu[AT_I];
    if ((i & I_S16_MODE) !== 0) return this.fail(SCP03_ERROR.UNSUPPORTED_OPTION);
    const withSequence = (i & I_PSEUDO_RANDOM_CHALLENGE) !== 0;
    if (dataLen !== (withSequence ? IU_RESPONSE_LEN_WITH_SEQUENCE : IU_RESPONSE_LEN)) return this.fail(SCP03_ERROR.RESPONSE_LENGTH);
    if (this.requestedKvn !== 0 && rapdu[AT_KVN] !== this.requestedKvn) return this.fail(SCP03_ERROR.KVN_MISMATCH);
    copy(rapdu, 0, this.kddBytes, 0, KDD_LEN);
    this.keyVersion = rapdu[AT_KVN];
    this.iParameter = i;
    this.sequenceCounter = withSequence ? readU24(rapdu, AT_SEQUENCE) : -1;
    copy(rapdu, AT_CARD_CHALLENGE, this.context, CHALLENGE_LEN, CHALLENGE_LEN);
    this.deriveSessionKeys();
    scp03Derive(this.cMac, DERIVE_CARD_CRYPTOGRAM, this.context, 0, this.context.length, 8 * CRYPTOGRAM_LEN, this.scratch, 0);
    const match = equalCt(this.scratch, 0, rapdu, AT_CARD_CRYPTOGRAM, CRYPTOGRAM_LEN);
    if (!match) return this.fail(SCP03_ERROR.CARD_CRYPTOGRAM);
    scp03Derive(this.cMac, DERIVE_HOST_CRYPTOGRAM, this.context, 0, this.context.length, 8 * CRYPTOGRAM_LEN, this.hostCryptogram, 0);
    fill(this.scratch, 0, BLOCK, 0);
    return this.enter('CARD_CRYPTOGRAM_OK');
  }

  /**
   * Writes EXTERNAL AUTHENTICATE (AmdD 7.1.2): 84 82 SL 00 10 hostCryptogram C-MAC, no Le. Its
   * C-MAC starts the MAC chain from 16 x 00 (AmdD 6.2.3).
   */
  buildExternalAuthenticate(securityLevel: number, out: Uint8Array): number {
    if (this.stateNow !== 'CARD_VERIFIED') return SCP03_ERROR.WRONG_STATE;
    if (!isSecurityLevel(securityLevel)) return SCP03_ERROR.BAD_ARGUMENT;
    if (!cardSupportsLevel(this.iParameter, securityLevel)) return this.fail(SCP03_ERROR.LEVEL_NOT_SUPPORTED);
    if (out.length < EXTERNAL_AUTHENTICATE_LEN) return SCP03_ERROR.OUTPUT_TOO_SMALL;
    out[0] = CLA_GP | CLA_SECURE_MESSAGING_BIT;
    out[1] = INS_EXTERNAL_AUTHENTICATE;
    out[2] = securityLevel;
    out[3] = 0x00;
    out[4] = CRYPTOGRAM_LEN + MAC_LEN;
    copy(this.hostCryptogram, 0, out, SHORT_HEADER_LEN, CRYPTOGRAM_LEN);
    fill(this.mcv, 0, BLOCK, 0);
    this.appendCMac(out, SHORT_HEADER_LEN + CRYPTOGRAM_LEN);
    this.level = securityLevel;
    this.enter('SEND_EXTERNAL_AUTHENTICATE');
    return EXTERNAL_AUTHENTICATE_LEN;
  }

  /** The EXTERNAL AUTHENTICATE answer: exactly SW 9000 opens the session (no R-MAC, AmdD 6.2.5). */
  checkExternalAuthenticateResponse(rapdu: Uint8Array, len: number): number {
    if (this.stateNow !== 'EXT_AUTH_SENT') return SCP03_ERROR.WRONG_STATE;
    if (len < 2 || len > rapdu.length) return this.fail(SCP03_ERROR.RESPONSE_LENGTH);
    const sw = (rapdu[len - 2] << 8) | rapdu[len - 1];
    if (sw !== SW.OK) return this.failWithSw(sw);
    if (len !== 2) return this.fail(SCP03_ERROR.RESPONSE_LENGTH);
    fill(this.counter, 0, BLOCK, 0);
    return this.enter('EXTERNAL_AUTHENTICATE_OK');
  }

  /**
   * Protects a short command APDU apdu[0, len) into out[0, ..) (out may be apdu itself if it has
   * room): C-DECRYPTION of the data field when the level asks for it (AmdD 6.2.6: ICV = E(S-ENC,
   * counter), 80-padding), then C-MAC over MCV || header || data (AmdD 6.2.4), then Le. The
   * counter moves for every command, with or without data. Returns the wrapped length.
   */
  wrapCommand(apdu: Uint8Array, len: number, out: Uint8Array): number {
    if (this.enter('PROTECT') !== 0) return SCP03_ERROR.WRONG_STATE;
    const cmd = this.parsed;
    if (parseCommand(apdu, len, cmd) !== 0 || cmd.extended) return SCP03_ERROR.MALFORMED_COMMAND;
    // Basic logical channels 0..3 without command chaining (GPCS 11.1.4); others are not wrapped here.
    if ((cmd.cla & 0x40) !== 0 || (cmd.cla & 0x10) !== 0) return SCP03_ERROR.MALFORMED_COMMAND;
    const encrypt = hasCDec(this.level) && cmd.lc > 0;
    const dataLen = encrypt ? cmd.lc + BLOCK - (cmd.lc % BLOCK) : cmd.lc;
    const lc = dataLen + MAC_LEN;
    if (lc > SHORT_LC_MAX) return SCP03_ERROR.COMMAND_TOO_LONG;
    const hasLe = cmd.le !== LE_ABSENT;
    if (out.length < SHORT_HEADER_LEN + lc + (hasLe ? 1 : 0)) return SCP03_ERROR.OUTPUT_TOO_SMALL;
    const le = cmd.le;
    const channel = cmd.cla & 0x03;
    const macCla = (cmd.cla & 0x80) | CLA_SECURE_MESSAGING_BIT;
    this.incrementCounter();
    copy(apdu, cmd.dataOff, out, SHORT_HEADER_LEN, cmd.lc);
    if (encrypt) {
      this.sEnc.encryptBlock(this.counter, 0, this.icv, 0);
      pad80(out, SHORT_HEADER_LEN, cmd.lc, BLOCK);
      cbcEncrypt(this.sEnc, this.icv, 0, out, SHORT_HEADER_LEN, dataLen, out, SHORT_HEADER_LEN);
    }
    out[0] = macCla;
    out[1] = apdu[1];
    out[2] = apdu[2];
    out[3] = apdu[3];
    out[4] = lc;
    this.appendCMac(out, SHORT_HEADER_LEN + dataLen);
    out[0] = macCla | channel;
    if (!hasLe) return SHORT_HEADER_LEN + lc;
    out[SHORT_HEADER_LEN + lc] = this.protectedLe(le);
    return SHORT_HEADER_LEN + lc + 1;
  }

  /**
   * Checks and strips response protection from rapdu[0, len) into out (data || SW; out may be
   * rapdu): R-MAC over MCV || data || SW with S-RMAC (AmdD 6.2.5), then R-ENC decryption with ICV
   * = E(S-ENC, counter with its first byte set to 80) (AmdD 6.2.7). Error status words carry no
   * protection and pass through. A wrong R-MAC closes the session. Returns the plain length.
   */
  unwrapResponse(rapdu: Uint8Array, len: number, out: Uint8Array): number {
    if (this.enter('PROTECT') !== 0) return SCP03_ERROR.WRONG_STATE;
    if (len < 2 || len > rapdu.length) return SCP03_ERROR.RESPONSE_LENGTH;
    const sw1 = rapdu[len - 2];
    const sw2 = rapdu[len - 1];
    let dataLen = len - 2;
    if (hasRMac(this.level) && isProtectedStatus((sw1 << 8) | sw2)) {
      if (dataLen < MAC_LEN) return this.fail(SCP03_ERROR.RESPONSE_MAC);
      dataLen -= MAC_LEN;
      const mac = this.rMac;
      mac.start();
      mac.update(this.mcv, 0, BLOCK);
      mac.update(rapdu, 0, dataLen);
      mac.update(rapdu, len - 2, 2);
      mac.finish(this.scratch, 0);
      const match = equalCt(this.scratch, 0, rapdu, dataLen, MAC_LEN);
      fill(this.scratch, 0, BLOCK, 0);
      if (!match) return this.fail(SCP03_ERROR.RESPONSE_MAC);
      if (hasREnc(this.level) && dataLen > 0) return this.decryptResponse(rapdu, dataLen, sw1, sw2, out);
    }
    if (out.length < dataLen + 2) return SCP03_ERROR.OUTPUT_TOO_SMALL;
    copy(rapdu, 0, out, 0, dataLen);
    out[dataLen] = sw1;
    out[dataLen + 1] = sw2;
    return dataLen + 2;
  }

  /**
   * Sensitive data encryption (AmdD 6.2.8): AES-CBC under the static K-DEK with a zero ICV. len is
   * a multiple of 16 (the caller pads). Used for PUT KEY key values.
   */
  encryptWithDek(src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): number {
    if (this.keyLen === 0) return SCP03_ERROR.NO_KEYS;
    if (len <= 0 || len % BLOCK !== 0 || srcOff < 0 || srcOff + len > src.length || dstOff < 0 || dstOff + len > dst.length) {
      return SCP03_ERROR.BAD_ARGUMENT;
    }
    fill(this.icv, 0, BLOCK, 0);
    this.kdfCipher.setKey(this.keyDek, 0, this.keyLen);
    cbcEncrypt(this.kdfCipher, this.icv, 0, src, srcOff, len, dst, dstOff);
    this.kdfCipher.wipe();
    return len;
  }

  /** Ends the session and forgets every key, static and session (ARCHITECTURE.md "Keys"). */
  wipe(): void {
    this.dropSession();
    wipe(this.keyEnc);
    wipe(this.keyMac);
    wipe(this.keyDek);
    this.keyLen = 0;
    this.enter('CLOSE');
  }

  private enter(event: Scp03HostEvent): number {
    const next = scp03HostStep(this.stateNow, event);
    if (next === 'ILLEGAL') return SCP03_ERROR.WRONG_STATE;
    this.stateNow = next;
    return 0;
  }

  private fail(code: number): number {
    this.dropSession();
    this.enter('FAIL');
    return code;
  }

  private failWithSw(sw: number): number {
    const code = this.fail(SCP03_ERROR.CARD_STATUS);
    this.lastSw = sw;
    return code;
  }

  /** Session material only: the static keys stay so that the caller may start again. */
  private dropSession(): void {
    this.sEnc.wipe();
    this.sMac.wipe();
    this.sRmac.wipe();
    this.kdfCipher.wipe();
    this.cMac.wipe();
    this.rMac.wipe();
    this.kdfMac.wipe();
    wipe(this.sessionKey);
    wipe(this.context);
    wipe(this.hostCryptogram);
    wipe(this.scratch);
    wipe(this.mcv);
    wipe(this.counter);
    wipe(this.icv);
    wipe(this.heldChain);
    this.level = 0;
    this.lastSw = 0;
  }

  /** AmdD Table 6-2: S-ENC from K-ENC (04), S-MAC (06) and S-RMAC (07) from K-MAC, L = key bits. */
  private deriveSessionKeys(): void {
    const n = this.keyLen;
    const ctx = this.context;
    this.kdfCipher.setKey(this.keyEnc, 0, n);
    scp03Derive(this.kdfMac, DERIVE_S_ENC, ctx, 0, ctx.length, 8 * n, this.sessionKey, 0);
    this.sEnc.setKey(this.sessionKey, 0, n);
    this.kdfCipher.setKey(this.keyMac, 0, n);
    scp03Derive(this.kdfMac, DERIVE_S_MAC, ctx, 0, ctx.length, 8 * n, this.sessionKey, 0);
    this.sMac.setKey(this.sessionKey, 0, n);
    scp03Derive(this.kdfMac, DERIVE_S_RMAC, ctx, 0, ctx.length, 8 * n, this.sessionKey, 0);
    this.sRmac.setKey(this.sessionKey, 0, n);
    wipe(this.sessionKey);
    this.kdfCipher.wipe();
  }

  /** CMAC(S-MAC, MCV || buf[0, end)) becomes the new MCV; its first 8 bytes go to buf[end]. */
  private appendCMac(buf: Uint8Array, end: number): void {
    const mac = this.cMac;
    mac.start();
    mac.update(this.mcv, 0, BLOCK);
    mac.update(buf, 0, end);
    mac.finish(this.mcv, 0);
    copy(this.mcv, 0, buf, end, MAC_LEN);
  }

  private incrementCounter(): void {
    for (let i = BLOCK - 1; i >= 0; i--) {
      const v = (this.counter[i] + 1) & 0xff;
      this.counter[i] = v;
      if (v !== 0) return;
    }
  }

  /**
   * Copies what the answer to the last command wrapped is checked against, the MCV after its C-MAC
   * (AmdD 6.2.5) and the encryption counter it was wrapped under (AmdD 6.2.7), to
   * out[off, off + CHAIN_LEN): with it, unwrapResponseOf checks that answer after later commands
   * were wrapped (several commands in flight at once).
   */
  saveChain(out: Uint8Array, off: number): void {
    copy(this.mcv, 0, out, off, BLOCK);
    copy(this.counter, 0, out, off + BLOCK, BLOCK);
  }

  /**
   * unwrapResponse for the command whose chain saveChain copied to chain[chainOff..]: the answer
   * is checked against that MCV and counter, and the session's own chain is left as it was (a
   * wrong R-MAC closes the session all the same).
   */
  unwrapResponseOf(chain: Uint8Array, chainOff: number, rapdu: Uint8Array, len: number, out: Uint8Array): number {
    if (chain.length < chainOff + CHAIN_LEN) return SCP03_ERROR.RESPONSE_LENGTH;
    this.saveChain(this.heldChain, 0);
    copy(chain, chainOff, this.mcv, 0, BLOCK);
    copy(chain, chainOff + BLOCK, this.counter, 0, BLOCK);
    const n = this.unwrapResponse(rapdu, len, out);
    if (this.stateNow === 'CLOSED') {
      wipe(this.heldChain);
      return n;
    }
    copy(this.heldChain, 0, this.mcv, 0, BLOCK);
    copy(this.heldChain, BLOCK, this.counter, 0, BLOCK);
    wipe(this.heldChain);
    return n;
  }

  /**
   * Le after protection: a non-zero Le is raised by what the card adds (R-ENC padding to the next
   * block, R-MAC 8 bytes), capped at 256 (Le 00), so that a protected answer is not truncated.
   */
  private protectedLe(ne: number): number {
    let n = ne;
    if (hasREnc(this.level)) n = n + BLOCK - (n % BLOCK);
    if (hasRMac(this.level)) n = n + MAC_LEN;
    return n >= 256 ? 0 : n;
  }

  private decryptResponse(rapdu: Uint8Array, dataLen: number, sw1: number, sw2: number, out: Uint8Array): number {
    if (dataLen % BLOCK !== 0) return this.fail(SCP03_ERROR.RESPONSE_PADDING);
    if (out.length < dataLen + 2) return SCP03_ERROR.OUTPUT_TOO_SMALL;
    copy(this.counter, 0, this.scratch, 0, BLOCK);
    this.scratch[0] = 0x80;
    this.sEnc.encryptBlock(this.scratch, 0, this.icv, 0);
    fill(this.scratch, 0, BLOCK, 0);
    cbcDecrypt(this.sEnc, this.icv, 0, rapdu, 0, dataLen, out, 0);
    const plainLen = unpad80(out, 0, dataLen);
    if (plainLen < 0) {
      fill(out, 0, dataLen, 0);
      return this.fail(SCP03_ERROR.RESPONSE_PADDING);
    }
    out[plainLen] = sw1;
    out[plainLen + 1] = sw2;
    return plainLen + 2;
  }
}
