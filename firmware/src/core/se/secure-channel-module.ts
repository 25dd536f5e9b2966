/**
 * The secure channel module: the only code that holds the SE's keys. It keeps the ISD key sets
 * (store records REC_KEY_SET) and the SCP03 sequence counter, answers INITIALIZE UPDATE by
 * deriving the pseudo-random card challenge and the session keys (AmdD 6.2.1-6.2.2, i = 70), and
 * replaces key sets with PUT KEY (GPCS 11.8, keys under K-DEK, AmdD 7.x). Static keys are read into
 * a scratch buffer only for the derivation and wiped straight after.
 *
 * A session's objects (isd-session.ts: its secure messaging, the static-key engine, content
 * management, and this module's key buffers) are created by the INITIALIZE UPDATE that opens it
 * and dropped when it ends: on a board each is RAM held for as long as it lives, and most taps open
 * no session. Between sessions the module holds the SE state record and the KDD only.
 */
import type { CommandApdu } from '../apdu';
import { copy, equalCt, fill, readU24, writeU24 } from '../bytes';
import type { CipherFactory } from '../crypto/block-cipher';
import { cbcDecrypt } from '../crypto/cbc';
import type { Cmac } from '../crypto/cmac';
import { KCV_LEN, kcvAes } from '../crypto/kcv';
import { DERIVE_CARD_CHALLENGE, scp03Derive } from '../crypto/kdf';
import { CHALLENGE_LEN, deriveSessionKeys } from '../gp/scp03-session';
import type { Store } from '../store/store';
import { SW } from '../sw';
import type { TlvWriter } from '../tlv';
import { ISD_AID } from './aid';
import type { ApduResponse } from './applet';
import { REC_KEY_SET, REC_SE_STATE, STATE_RECORD_LEN, STATE_SEQ, LC_CARD_SECURED, STATE_LIFE_CYCLE } from './records';
import { INIT_UPDATE_RESPONSE_LEN, KDD_LEN, SEQ_LEN } from './scp03-card';
import { IsdSession, KEYSET_HEADER, KEYSET_MAX_LEN, MAX_KEY_LEN, type SeContent } from './isd-session';

/** AmdD: key type AES. */
export const KEY_TYPE_AES = 0x88;
export const KVN_MIN = 0x30;
export const KVN_MAX = 0x3f;
/** i parameter: pseudo-random card challenge (b5), R-MAC and R-ENC supported (b6, b7); AmdD Table 5-1. */
export const SCP03_I = 0x70;
const SEQ_MAX = 0xffffff;
const ZERO_ICV = new Uint8Array(16);

export class SecureChannelModule {
  /** The open session (INITIALIZE UPDATE to its end), or null. */
  session: IsdSession | null = null;
  private readonly store: Store;
  private readonly aes: CipherFactory;
  private readonly content: SeContent;
  private readonly kdd = new Uint8Array(KDD_LEN);
  /** The static-key engine of the open session (KDF, KCVs, K-DEK); null with it. */
  private staticCmac: Cmac | null = null;
  private readonly state = new Uint8Array(STATE_RECORD_LEN);
  /** KVN of the key set the current session was opened with (its K-DEK protects PUT KEY). */
  private sessionKvn = 0;
  private readonly keyInfo = new Uint8Array(4);

  constructor(store: Store, aes: CipherFactory, kdd: Uint8Array, content: SeContent) {
    this.store = store;
    this.aes = aes;
    this.content = content;
    copy(kdd, 0, this.kdd, 0, KDD_LEN);
  }

  /** First boot: stores the initial ISD key set and SE state inside the caller's transaction. */
  personalize(kvn: number, keyLen: number, enc: Uint8Array, mac: Uint8Array, dek: Uint8Array): boolean {
    // once in the SE's life: the record is built in a buffer of its own, wiped after
    const keySet = new Uint8Array(KEYSET_MAX_LEN);
    keySet[0] = KEY_TYPE_AES;
    keySet[1] = keyLen;
    copy(enc, 0, keySet, KEYSET_HEADER, keyLen);
    copy(mac, 0, keySet, KEYSET_HEADER + keyLen, keyLen);
    copy(dek, 0, keySet, KEYSET_HEADER + 2 * keyLen, keyLen);
    const ok = this.store.put(REC_KEY_SET, kvn, keySet, 0, KEYSET_HEADER + 3 * keyLen);
    fill(keySet, 0, KEYSET_MAX_LEN, 0);
    this.state[STATE_LIFE_CYCLE] = LC_CARD_SECURED;
    writeU24(this.state, STATE_SEQ, 1);
    return ok && this.store.put(REC_SE_STATE, 0, this.state, 0, STATE_RECORD_LEN);
  }

  /** INITIALIZE UPDATE `80 50 KVN 00 08 hostChallenge 00` (AmdD 7.1). */
  initializeUpdate(cmd: CommandApdu, rsp: ApduResponse): number {
    this.endSession();
    if (cmd.p2 !== 0) return SW.ERR_WRONG_P1P2;
    if (cmd.lc !== CHALLENGE_LEN) return SW.ERR_CHECKING_WRONG_LENGTH;
    const kvn = cmd.p1 === 0 ? this.firstKvn() : cmd.p1;
    // the session's objects first: its key buffers hold the key set from here on
    const session = new IsdSession(this.aes, this.content);
    const keySet = session.keySet;
    const keyLen = kvn < 0 ? -1 : this.loadKeySet(kvn, keySet);
    if (keyLen < 0) return SW.ERR_REFERENCED_DATA_NOT_FOUND;
    if (this.store.get(REC_SE_STATE, 0, this.state, 0) !== STATE_RECORD_LEN) {
      this.wipeKeys(keySet);
      return SW.ERR_MEMORY_FAILURE;
    }
    const seq = readU24(this.state, STATE_SEQ);
    if (seq >= SEQ_MAX) {
      this.wipeKeys(keySet);
      return SW.ERR_CONDITIONS_NOT_SATISFIED;
    }
    const staticCmac = session.staticCmac;
    this.staticCmac = staticCmac;
    const context = session.context;
    const derivedKeys = session.derivedKeys;
    // Card challenge = KDF(K-ENC, 02, seq || ISD AID), AmdD 6.2.2.1.
    staticCmac.cipher.setKey(keySet, KEYSET_HEADER, keyLen);
    copy(this.state, STATE_SEQ, context, 0, SEQ_LEN);
    copy(ISD_AID, 0, context, SEQ_LEN, ISD_AID.length);
    scp03Derive(staticCmac, DERIVE_CARD_CHALLENGE, context, 0, SEQ_LEN + ISD_AID.length, 64, session.cardChallenge, 0);
    // Session keys over host challenge || card challenge (AmdD 6.2.1).
    copy(cmd.buf, cmd.dataOff, context, 0, CHALLENGE_LEN);
    copy(session.cardChallenge, 0, context, CHALLENGE_LEN, CHALLENGE_LEN);
    deriveSessionKeys(staticCmac, keySet, KEYSET_HEADER, KEYSET_HEADER + keyLen, keyLen, context, derivedKeys);
    this.wipeKeys(keySet);
    // The counter moves before the card answers, so a challenge is never reused (even after a power cut).
    writeU24(this.state, STATE_SEQ, seq + 1);
    this.store.begin();
    if (!this.store.put(REC_SE_STATE, 0, this.state, 0, STATE_RECORD_LEN) || !this.store.commit()) {
      this.store.abort();
      fill(derivedKeys, 0, derivedKeys.length, 0);
      this.staticCmac = null;
      return SW.ERR_MEMORY_FAILURE;
    }
    writeU24(this.state, STATE_SEQ, seq);
    session.channel.begin(derivedKeys, keyLen, this.kdd, kvn, SCP03_I, cmd.buf, cmd.dataOff, session.cardChallenge, this.state, STATE_SEQ, rsp.buf);
    fill(derivedKeys, 0, derivedKeys.length, 0);
    this.session = session;
    this.sessionKvn = kvn;
    rsp.len = INIT_UPDATE_RESPONSE_LEN;
    return SW.OK;
  }

  /**
   * PUT KEY (GPCS 11.8; AES key data per AmdD / GPPro): P1 = KVN to replace (00 adds a set),
   * P2 = 81 (key id 1, several keys). Data: newKVN || 3 x { 88 | L | keyLen | E(K-DEK, key) | 03 | KCV }.
   * Answers newKVN || 3 KCVs. Every key and KCV is checked before anything is stored.
   */
  putKey(cmd: CommandApdu, rsp: ApduResponse): number {
    const staticCmac = this.staticCmac;
    const session = this.session;
    if (session === null || session.channel.state !== 'AUTHENTICATED' || staticCmac === null) return SW.ERR_SECURITY_STATUS;
    const staticCipher = staticCmac.cipher;
    const keySet = session.keySet;
    const derivedKeys = session.derivedKeys;
    if (cmd.p2 !== 0x81) return SW.ERR_WRONG_P1P2;
    const replace = cmd.p1;
    if (replace !== 0 && this.loadKeySet(replace, keySet) < 0) return SW.ERR_REFERENCED_DATA_NOT_FOUND;
    this.wipeKeys(keySet);
    const b = cmd.buf;
    const end = cmd.dataOff + cmd.lc;
    let p = cmd.dataOff;
    if (cmd.lc < 1) return SW.ERR_CHECKING_WRONG_LENGTH;
    const newKvn = b[p++];
    if (newKvn < KVN_MIN || newKvn > KVN_MAX) return SW.ERR_WRONG_DATA;
    if (replace === 0 && this.loadKeySet(newKvn, keySet) >= 0) {
      this.wipeKeys(keySet);
      return SW.ERR_WRONG_DATA;
    }
    const dekLen = this.loadKeySet(this.sessionKvn, keySet);
    if (dekLen < 0) return SW.ERR_REFERENCED_DATA_NOT_FOUND;
    staticCipher.setKey(keySet, KEYSET_HEADER + 2 * dekLen, dekLen);
    fill(keySet, 0, KEYSET_MAX_LEN, 0);
    let keyLen = -1;
    // Pass 1: decrypt the three keys under K-DEK (AES-CBC, zero ICV), noting where each KCV is.
    for (let k = 0; k < 3; k++) {
      if (p + 3 > end || b[p] !== KEY_TYPE_AES) return this.failPutKey(session, SW.ERR_WRONG_DATA);
      const blockLen = b[p + 1] - 1;
      const len = b[p + 2];
      p += 3;
      if ((len !== 16 && len !== 24 && len !== 32) || (keyLen >= 0 && len !== keyLen)) return this.failPutKey(session, SW.ERR_WRONG_DATA);
      if (blockLen < len || blockLen % 16 !== 0 || blockLen > MAX_KEY_LEN || p + blockLen + 1 + KCV_LEN > end) {
        return this.failPutKey(session, SW.ERR_WRONG_DATA);
      }
      keyLen = len;
      cbcDecrypt(staticCipher, ZERO_ICV, 0, b, p, blockLen, keySet, 0);
      copy(keySet, 0, derivedKeys, k * len, len);
      p += blockLen;
      if (b[p] !== KCV_LEN) return this.failPutKey(session, SW.ERR_WRONG_DATA);
      session.kcvAt[k] = p + 1;
      p += 1 + KCV_LEN;
    }
    // Pass 2: every key must match its check value.
    for (let k = 0; k < 3; k++) {
      this.keyCheck(session, k * keyLen, keyLen);
      if (!equalCt(session.kcv, 0, b, session.kcvAt[k], KCV_LEN)) return this.failPutKey(session, SW.ERR_WRONG_DATA);
    }
    if (p !== end) return this.failPutKey(session, SW.ERR_WRONG_DATA);
    staticCipher.wipe();
    // Store the new set (replacing the old one) in one transaction.
    keySet[0] = KEY_TYPE_AES;
    keySet[1] = keyLen;
    copy(derivedKeys, 0, keySet, KEYSET_HEADER, 3 * keyLen);
    this.store.begin();
    let ok = this.store.put(REC_KEY_SET, newKvn, keySet, 0, KEYSET_HEADER + 3 * keyLen);
    if (ok && replace !== 0 && replace !== newKvn) ok = this.store.remove(REC_KEY_SET, replace);
    ok = ok && this.store.commit();
    if (!ok) this.store.abort();
    rsp.buf[0] = newKvn;
    for (let k = 0; k < 3; k++) {
      this.keyCheck(session, k * keyLen, keyLen);
      copy(session.kcv, 0, rsp.buf, 1 + k * KCV_LEN, KCV_LEN);
    }
    this.wipeKeys(keySet);
    fill(derivedKeys, 0, derivedKeys.length, 0);
    if (!ok) return SW.ERR_NOT_ENOUGH_MEMORY;
    rsp.len = 1 + 3 * KCV_LEN;
    return SW.OK;
  }

  /** Key information template entries (GET DATA 00E0; GPCS 11.3.3.1): C0 04 keyId KVN 88 keyLen. */
  writeKeyInformation(w: TlvWriter): void {
    w.open(0xe0);
    for (let kvn = this.store.nextId(REC_KEY_SET, -1); kvn >= 0; kvn = this.store.nextId(REC_KEY_SET, kvn)) {
      // the key length from the record's length (header | 3 keys): no key leaves the store for it
      const n = this.store.length(REC_KEY_SET, kvn);
      if (n < KEYSET_HEADER) continue;
      const len = Math.floor((n - KEYSET_HEADER) / 3);
      for (let id = 1; id <= 3; id++) {
        this.keyInfo[0] = id;
        this.keyInfo[1] = kvn;
        this.keyInfo[2] = KEY_TYPE_AES;
        this.keyInfo[3] = len;
        w.tlv(0xc0, this.keyInfo, 0, 4);
      }
    }
    w.close();
  }

  /** Reads a key set into keySet (a session's); returns its key length, or -1. Callers wipe with wipeKeys(). */
  private loadKeySet(kvn: number, keySet: Uint8Array): number {
    const n = this.store.get(REC_KEY_SET, kvn, keySet, 0);
    if (n < KEYSET_HEADER || keySet[0] !== KEY_TYPE_AES || n !== KEYSET_HEADER + 3 * keySet[1]) {
      fill(keySet, 0, KEYSET_MAX_LEN, 0);
      return -1;
    }
    return keySet[1];
  }

  private firstKvn(): number {
    return this.store.nextId(REC_KEY_SET, -1);
  }

  /** The check value of the session's new key at derivedKeys[off..] into its kcv; only PUT KEY under an open session calls this. */
  private keyCheck(session: IsdSession, off: number, len: number): void {
    const cipher = session.staticCmac.cipher;
    cipher.setKey(session.derivedKeys, off, len);
    kcvAes(cipher, session.kcv, 0);
    cipher.wipe();
  }

  private failPutKey(session: IsdSession, sw: number): number {
    this.wipeKeys(session.keySet);
    fill(session.derivedKeys, 0, session.derivedKeys.length, 0);
    return sw;
  }

  private wipeKeys(keySet: Uint8Array): void {
    fill(keySet, 0, KEYSET_MAX_LEN, 0);
    this.wipeStaticEngine();
  }

  /** The static-key AES engine and its CMAC subkeys. */
  private wipeStaticEngine(): void {
    if (this.staticCmac === null) return;
    this.staticCmac.cipher.wipe();
    this.staticCmac.wipe();
  }

  /** Ends the open session, if any: its keys are wiped, a partial load is discarded, its objects dropped. */
  endSession(): void {
    if (this.session !== null) {
      this.session.channel.close();
      this.session.loader.abort();
    }
    this.wipeStaticEngine();
    this.session = null;
    this.staticCmac = null;
  }

  /** Drops the session once its secure messaging has closed it (a MAC failure, a wrong cryptogram). */
  dropClosedSession(): void {
    if (this.session !== null && this.session.channel.state === 'IDLE') this.endSession();
  }
}

