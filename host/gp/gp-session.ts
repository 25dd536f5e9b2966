/**
 * A GlobalPlatform card session over an injected transport (STYLE.md §2): SELECT the ISD, open an
 * SCP03 secure channel, then list, install, delete and replace keys. The bytes come from the
 * sans-I/O builders and Scp03HostSession in firmware/src/core/gp; this class only sequences them,
 * checks status words (checkSw) and turns result codes into typed errors.
 *
 * Keys: the static keys live in the core session until close(), which wipes them. Nothing here
 * logs keys; the trace hook sees plain APDUs (PUT KEY data is already encrypted under K-DEK).
 */
import { randomBytes } from 'node:crypto';
import { SoftAes } from '../../firmware/src/core/crypto/aes';
import type { CipherFactory } from '../../firmware/src/core/crypto/block-cipher';
import { fromHex } from '../../firmware/src/core/hex';
import {
  DEFAULT_ISD_AID_HEX, P1_STATUS_APPS, P1_STATUS_ISD, P1_STATUS_LOAD_FILES, P1_STATUS_LOAD_FILES_AND_MODULES,
  TAG_KEY_INFORMATION_TEMPLATE,
} from '../../firmware/src/core/gp/constants';
import { buildDelete } from '../../firmware/src/core/gp/delete';
import { buildGetData, KeyInformation, KeyInformationReader } from '../../firmware/src/core/gp/get-data';
import { buildGetStatus, GetStatusReader, RegistryEntry } from '../../firmware/src/core/gp/get-status';
import { buildInstallForInstall, buildInstallForLoad } from '../../firmware/src/core/gp/install';
import { buildLoad, loadBlockCount, loadBlockSize, MAX_LOAD_BLOCKS } from '../../firmware/src/core/gp/load-script';
import { buildPutKeySet, putKeyAnswerMatches } from '../../firmware/src/core/gp/put-key';
import { SCP03_ERROR } from '../../firmware/src/core/gp/scp03-errors';
import { CHALLENGE_LEN, KDD_LEN, Scp03HostSession } from '../../firmware/src/core/gp/scp03-host';
import { isSecurityLevel, SL_CMAC } from '../../firmware/src/core/gp/security-level';
import { buildSelect, Fci, parseFci } from '../../firmware/src/core/gp/select';
import { SW } from '../../firmware/src/core/sw';
import { TlvReader } from '../../firmware/src/core/tlv';
import type { Transmit } from '../vpcd/vpcd-reader';
import { checkSw, splitResponse, type CardResponse } from '../../contracts/check-sw';
import { CardError, CardResponseError, GpArgumentError, LoadFileError, SecureChannelError } from '../../contracts/card-errors';
import { diversifyIsdKeys, wipeKeys, type StaticKeys } from './keys';
import type { LoadFile, LoadFileHeaderParser } from './load-file';
import { toRegistryItem, type CardRegistry, type EntryKind, type RegistryItem } from './registry';

/** APDU buffers: a short APDU with Le, after wrapping, fits 5 + 255 + 1. */
const APDU_BUF_LEN = 261;
const RESPONSE_BUF_LEN = 258 + 24;
/** Privileges byte of an ordinary application (GPCS Table 11-7: none). */
const NO_PRIVILEGES = Uint8Array.of(0x00);

export interface GpSessionOptions {
  /** Source of host challenges; node:crypto by default. */
  random?: (n: number) => Uint8Array;
  /** AES implementation for the session; the pure TypeScript SoftAes by default. */
  cipherFactory?: CipherFactory;
  /** Sees each plain command before wrapping and each plain response after unwrapping. */
  trace?: (direction: 'command' | 'response', apdu: Uint8Array) => void;
}

/** Either the static keys, or the master key they are diversified from over the card's KDD. */
export type OpenKeys = { keys: StaticKeys; masterKey?: undefined } | { masterKey: Uint8Array; keys?: undefined };

export type OpenOptions = OpenKeys & {
  /** Key version to use; 0 (default) lets the card pick. */
  kvn?: number;
  /** EXTERNAL AUTHENTICATE P1: 01, 03, 11, 13 or 33 (default 01). */
  securityLevel?: number;
};

export interface SecureChannelInfo {
  kvn: number;
  /** The "i" parameter (AmdD Table 5-1). */
  i: number;
  /** Present when the card uses pseudo-random challenges. */
  sequenceCounter?: number;
  /** Key diversification data (hex): the SE serial in tapcard. */
  kdd: string;
  securityLevel: number;
}

export interface SelectedIsd {
  aid: Uint8Array;
  /** FCI tag 9F65, or -1. */
  maxCommandData: number;
}

export interface LoadProgress {
  block: number;
  blocks: number;
  bytes: number;
  totalBytes: number;
}

export interface InstallOptions {
  /** Load file (package) AID; read from the file's header by `parser` when absent. */
  packageAid?: Uint8Array;
  /** Module (application class) AID; the header's first module when absent. */
  moduleAid?: Uint8Array;
  /** Instance AID; the module AID when absent. */
  instanceAid?: Uint8Array;
  /** 1 or 3 privilege bytes (default 00). */
  privileges?: Uint8Array;
  /** The value of C9, the application's install parameters. */
  params?: Uint8Array;
  parser?: LoadFileHeaderParser;
  onProgress?: (p: LoadProgress) => void;
}

export interface InstallResult {
  packageAid: string;
  moduleAid: string;
  instanceAid: string;
  blocks: number;
  blockSize: number;
}

export interface KeyInfoItem {
  id: number;
  version: number;
  type: number;
  length: number;
}

export class GpSession {
  private readonly transmit: Transmit;
  private readonly random: (n: number) => Uint8Array;
  private readonly trace: GpSessionOptions['trace'];
  private readonly scp: Scp03HostSession;
  private readonly cipherFactory: CipherFactory;
  private readonly cmd = new Uint8Array(APDU_BUF_LEN);
  private readonly wrapped = new Uint8Array(APDU_BUF_LEN);
  private readonly plain = new Uint8Array(RESPONSE_BUF_LEN);
  private isd: SelectedIsd | null = null;

  constructor(transmit: Transmit, options: GpSessionOptions = {}) {
    this.transmit = transmit;
    this.random = options.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.trace = options.trace;
    this.cipherFactory = options.cipherFactory ?? (() => new SoftAes());
    this.scp = new Scp03HostSession(this.cipherFactory);
  }

  get selected(): SelectedIsd | null {
    return this.isd;
  }

  get secured(): boolean {
    return this.scp.state === 'AUTHENTICATED';
  }

  /** SELECT the ISD (GPCS 11.9) and read its FCI; ends any secure channel. */
  async selectIsd(aid: Uint8Array = fromHex(DEFAULT_ISD_AID_HEX)): Promise<SelectedIsd> {
    this.scp.wipe();
    const n = buildSelect(aid, this.cmd);
    if (n < 0) throw new GpArgumentError(`ISD AID must be 5..16 bytes, got ${aid.length}`);
    const r = checkSw(await this.exchangePlain(this.cmd.subarray(0, n)), 'SELECT ISD');
    const fci = new Fci();
    const selected: SelectedIsd = { aid, maxCommandData: -1 };
    if (r.data.length > 0 && parseFci(r.data, 0, r.data.length, fci, new TlvReader(), new TlvReader())) {
      selected.aid = fci.aid.slice(0, fci.aidLen);
      selected.maxCommandData = fci.maxCommandData;
    }
    this.isd = selected;
    return selected;
  }

  /** INITIALIZE UPDATE -> card cryptogram check -> EXTERNAL AUTHENTICATE (AmdD 7.1). */
  async openSecureChannel(options: OpenOptions): Promise<SecureChannelInfo> {
    const s = this.scp;
    const level = options.securityLevel ?? SL_CMAC;
    if (!isSecurityLevel(level)) throw new SecureChannelError('open', SCP03_ERROR.BAD_ARGUMENT, 0);
    if (options.keys !== undefined) this.must('keys', s.setStaticKeys(options.keys.enc, options.keys.mac, options.keys.dek));
    const challenge = this.random(CHALLENGE_LEN);
    const n = this.must('INITIALIZE UPDATE', s.buildInitializeUpdate(options.kvn ?? 0, challenge, this.cmd));
    const iu = await this.exchangePlain(this.cmd.subarray(0, n));
    if (options.masterKey !== undefined && iu.length >= KDD_LEN + 2) {
      // The card's KDD comes first in the answer (AmdD Table 7-2); its keys are derived from it.
      const keys = diversifyIsdKeys(options.masterKey, iu.subarray(0, KDD_LEN), this.cipherFactory);
      this.must('keys', s.setStaticKeys(keys.enc, keys.mac, keys.dek));
      wipeKeys(keys);
    }
    this.must('INITIALIZE UPDATE', s.parseInitializeUpdateResponse(iu, iu.length));
    const m = this.must('EXTERNAL AUTHENTICATE', s.buildExternalAuthenticate(level, this.cmd));
    const ea = await this.exchangePlain(this.cmd.subarray(0, m));
    this.must('EXTERNAL AUTHENTICATE', s.checkExternalAuthenticateResponse(ea, ea.length));
    const kdd = new Uint8Array(KDD_LEN);
    s.copyKdd(kdd, 0);
    const info: SecureChannelInfo = { kvn: s.keyVersion, i: s.iParameter, kdd: Buffer.from(kdd).toString('hex').toUpperCase(), securityLevel: level };
    if (s.sequenceCounter >= 0) info.sequenceCounter = s.sequenceCounter;
    return info;
  }

  /** Sends one command, wrapped when a secure channel is open; returns the plain R-APDU (data || SW). */
  async send(apdu: Uint8Array): Promise<Uint8Array> {
    this.trace?.('command', apdu);
    if (!this.secured) return this.exchangeRaw(apdu, true);
    const n = this.scp.wrapCommand(apdu, apdu.length, this.wrapped);
    if (n < 0) throw new SecureChannelError('wrap', n, 0);
    const rapdu = await this.exchangeRaw(this.wrapped.slice(0, n), false);
    const m = this.scp.unwrapResponse(rapdu, rapdu.length, this.plain);
    if (m < 0) throw new SecureChannelError('unwrap', m, 0);
    const plain = this.plain.slice(0, m);
    this.trace?.('response', plain);
    return plain;
  }

  /** GET STATUS for one registry part, following 6310 (P2 03); 6A88 means "none" (GPCS 11.4.3). */
  async getStatus(p1: number, kind: EntryKind): Promise<RegistryItem[]> {
    const items: RegistryItem[] = [];
    const reader = new GetStatusReader();
    const entry = new RegistryEntry();
    for (let next = false; ; next = true) {
      const r = await this.command(buildGetStatus(p1, next, this.cmd), 'GET STATUS', SW.WARN_MORE_DATA, SW.ERR_REFERENCED_DATA_NOT_FOUND);
      if (r.sw === SW.ERR_REFERENCED_DATA_NOT_FOUND) return items;
      reader.reset(r.data, 0, r.data.length);
      while (reader.next(entry)) items.push(toRegistryItem(kind, entry));
      if (reader.malformed) throw new CardResponseError('GET STATUS: malformed registry entry (GPCS Tables 11-36/37)');
      if (r.sw !== SW.WARN_MORE_DATA) return items;
    }
  }

  /** The whole registry: ISD, applications and security domains, load files with their modules. */
  async list(): Promise<CardRegistry> {
    const isd = await this.getStatus(P1_STATUS_ISD, 'ISD');
    const apps = await this.getStatus(P1_STATUS_APPS, 'APP');
    let loadFiles: RegistryItem[];
    try {
      loadFiles = await this.getStatus(P1_STATUS_LOAD_FILES_AND_MODULES, 'PKG');
    } catch (e) {
      // Cards without P1 10 (GPCS 2.1) answer 6A86: ask for load files without modules.
      if (!(e instanceof CardError) || e.sw !== SW.ERR_WRONG_P1P2) throw e;
      loadFiles = await this.getStatus(P1_STATUS_LOAD_FILES, 'PKG');
    }
    return { isd, apps, loadFiles };
  }

  /** GET DATA 00E0: the key sets the card holds (GPCS 11.3.3.1). */
  async keyInformation(): Promise<KeyInfoItem[]> {
    const r = await this.command(buildGetData(TAG_KEY_INFORMATION_TEMPLATE, this.cmd), 'GET DATA (key information)');
    const reader = new KeyInformationReader().reset(r.data, 0, r.data.length);
    const k = new KeyInformation();
    const keys: KeyInfoItem[] = [];
    while (reader.next(k)) keys.push({ id: k.id, version: k.version, type: k.type, length: k.length });
    if (reader.malformed) throw new CardResponseError('GET DATA 00E0: malformed key information template (GPCS 11.3.3.1)');
    return keys;
  }

  /**
   * Installs a load file: INSTALL [for load] -> LOAD x N -> INSTALL [for install and make
   * selectable] (GPCS 11.5, 11.6; ARCHITECTURE.md flow 2). AIDs not given are read from the load
   * file's header with `parser`.
   */
  async install(file: LoadFile, options: InstallOptions = {}): Promise<InstallResult> {
    const header = options.parser?.(file.dataBlock) ?? null;
    const packageAid = options.packageAid ?? header?.packageAid;
    const moduleAid = options.moduleAid ?? header?.moduleAids[0];
    if (packageAid === undefined) throw new LoadFileError('no package AID: give one, or a load file whose header names it');
    if (moduleAid === undefined) throw new LoadFileError('no module AID: give one, or a load file whose header names it');
    const instanceAid = options.instanceAid ?? moduleAid;
    const blockSize = loadBlockSize(this.isd?.maxCommandData ?? -1, this.scp.securityLevel);
    const blocks = loadBlockCount(file.bytes.length, blockSize);
    if (blocks < 0 || blocks > MAX_LOAD_BLOCKS) {
      throw new LoadFileError(`load file of ${file.bytes.length} bytes needs ${blocks} LOAD blocks of ${blockSize}; at most ${MAX_LOAD_BLOCKS} fit P2 (GPCS 11.6.2.2)`);
    }
    await this.installForLoad(packageAid);
    await this.load(file.bytes, blockSize, options.onProgress);
    await this.installAndMakeSelectable(packageAid, moduleAid, instanceAid, options.privileges ?? NO_PRIVILEGES, options.params ?? null);
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
    return { packageAid: hex(packageAid), moduleAid: hex(moduleAid), instanceAid: hex(instanceAid), blocks, blockSize };
  }

  /** INSTALL [for load], the ISD as the associated security domain (GPCS Table 11-42). */
  async installForLoad(packageAid: Uint8Array): Promise<void> {
    const sd = this.isd?.aid ?? null;
    const n = buildInstallForLoad(packageAid, sd, null, null, null, this.cmd);
    if (n < 0) throw new GpArgumentError(`INSTALL [for load]: package AID must be 5..16 bytes, got ${packageAid.length}`);
    await this.command(n, 'INSTALL [for load]');
  }

  /** LOAD blocks 00..N-1 of `blockSize` bytes, P1 80 on the last (GPCS 11.6). */
  async load(bytes: Uint8Array, blockSize: number, onProgress?: (p: LoadProgress) => void): Promise<void> {
    const blocks = loadBlockCount(bytes.length, blockSize);
    for (let b = 0; b < blocks; b++) {
      const off = b * blockSize;
      const len = Math.min(blockSize, bytes.length - off);
      await this.command(buildLoad(b, b === blocks - 1, bytes, off, len, this.cmd), `LOAD block ${b}`);
      onProgress?.({ block: b + 1, blocks, bytes: off + len, totalBytes: bytes.length });
    }
  }

  /** INSTALL [for install and make selectable] (GPCS Table 11-43). */
  async installAndMakeSelectable(
    packageAid: Uint8Array,
    moduleAid: Uint8Array,
    instanceAid: Uint8Array,
    privileges: Uint8Array,
    params: Uint8Array | null,
  ): Promise<void> {
    const n = buildInstallForInstall(packageAid, moduleAid, instanceAid, privileges, params, null, this.cmd);
    if (n < 0) {
      throw new GpArgumentError('INSTALL [for install]: AIDs must be 5..16 bytes, privileges 1 or 3 bytes, and the command at most 255 bytes');
    }
    await this.command(n, 'INSTALL [for install and make selectable]');
  }

  /** DELETE an application or load file; `related` also deletes a load file's applications (P2 80). */
  async delete(aid: Uint8Array, related = true): Promise<void> {
    const n = buildDelete(aid, related, this.cmd);
    if (n < 0) throw new GpArgumentError(`DELETE: AID must be 5..16 bytes, got ${aid.length}`);
    await this.command(n, 'DELETE');
  }

  /**
   * PUT KEY: adds key set newKvn (replaceKvn 0) or replaces replaceKvn, keys encrypted under the
   * session's K-DEK (AmdD 6.2.8). Checks the card's KCVs; returns them (hex).
   */
  async putKeySet(newKvn: number, keys: StaticKeys, replaceKvn = 0): Promise<string[]> {
    if (!this.secured) throw new SecureChannelError('PUT KEY', SCP03_ERROR.WRONG_STATE, 0);
    const n = buildPutKeySet(replaceKvn, newKvn, keys.enc, keys.mac, keys.dek, this.scp, this.cipherFactory(), this.cmd);
    if (n < 0) throw new GpArgumentError('PUT KEY: keys must be 16, 24 or 32 bytes, all three alike; KVN 1..7F');
    const command = this.cmd.slice(0, n);
    const r = await this.command(n, 'PUT KEY');
    if (!putKeyAnswerMatches(command, r.data, 0, r.data.length)) {
      throw new CardResponseError('PUT KEY: the card confirmed other key check values than those of the keys sent');
    }
    const kcvs: string[] = [];
    for (let k = 0; k < 3; k++) kcvs.push(Buffer.from(r.data.subarray(1 + 3 * k, 4 + 3 * k)).toString('hex').toUpperCase());
    return kcvs;
  }

  /** Ends the secure channel and wipes every key. */
  close(): void {
    this.scp.wipe();
  }

  /** Sends this.cmd[0, n) through the channel and checks the SW. */
  private async command(n: number, name: string, ...allowed: number[]): Promise<CardResponse> {
    if (n < 0) throw new Error(`${name}: command does not fit a short APDU`);
    return checkSw(await this.send(this.cmd.slice(0, n)), name, ...allowed);
  }

  /** Handshake commands are never wrapped. */
  private async exchangePlain(apdu: Uint8Array): Promise<Uint8Array> {
    this.trace?.('command', apdu);
    return this.exchangeRaw(apdu, true);
  }

  private async exchangeRaw(apdu: Uint8Array, traceResponse: boolean): Promise<Uint8Array> {
    const rapdu = await this.transmit(apdu);
    splitResponse(rapdu);
    if (traceResponse) this.trace?.('response', rapdu);
    return rapdu;
  }

  private must(step: string, result: number): number {
    if (result < 0) throw new SecureChannelError(step, result, result === SCP03_ERROR.CARD_STATUS ? this.scp.lastSw : 0);
    return result;
  }
}
