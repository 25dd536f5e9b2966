/**
 * `tapcard gp`: a GlobalPlatform host in the spirit of GlobalPlatformPro's `gp`:
 * list, install, delete and load keys on a card's ISD over SCP03, with the card reached through
 * PC/SC (pcscd) or directly as a vpcd reader that a card (`tapcard se serve`) connects to.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fromHex, toHex } from '../firmware/src/core/hex';
import { DEFAULT_ISD_AID_HEX } from '../firmware/src/core/gp/constants';
import { isSecurityLevel } from '../firmware/src/core/gp/security-level';
import { swText } from '../firmware/src/core/sw';
import { CardError, CardResponseError, GpArgumentError, LoadFileError, SecureChannelError } from '../contracts/card-errors';
import { formatRegistry } from '../host/gp/format';
import { GpSession, type InstallResult, type OpenKeys, type SecureChannelInfo, type SelectedIsd } from '../host/gp/gp-session';
import { sameKeyForAll } from '../host/gp/keys';
import { parseLoadFile, tapcardPackageHeader } from '../host/gp/load-file';
import { connectPcsc, PcscUnavailableError } from '../host/gp/pcsc-transport';
import type { CardRegistry } from '../host/gp/registry';
import { CardRemovedError, NoCardError } from '../host/vpcd/errors';
import { VpcdReader, type Transmit } from '../host/vpcd/vpcd-reader';
import { runCommand, secondsOption, UsageError, type CommandValues } from './command';
import { EXIT } from '../contracts/exit-codes';

/** GPPro's default test key (docs/standards.md "Keys"): development cards only. */
const DEV_KEY_HEX = '404142434445464748494A4B4C4D4E4F';
const DEFAULT_WAIT_S = 30;

const HELP = `usage: tapcard gp (--vpcd-listen [HOST:]PORT | --pcsc [READER]) ACTION... [options]

Manages the content of a GlobalPlatform card's issuer security domain over SCP03, like
GlobalPlatformPro's 'gp'. Actions run in this order: --delete, --install, --put-key, --list.

card:
  --vpcd-listen [HOST:]PORT  be a vpcd reader on PORT (host 127.0.0.1) and wait for a card,
                             e.g. 'tapcard se serve --vpcd 127.0.0.1:PORT --state DIR'
  --pcsc [READER]            use PC/SC (pcscd); the first reader whose name contains READER,
                             or any reader with a card
  --wait S                   seconds to wait for the card (default ${DEFAULT_WAIT_S})

actions:
  --list                     the ISD, applications and load files (GET STATUS)
  --install FILE             load and install a load file (C4 ...): INSTALL [for load], LOAD blocks,
                             INSTALL [for install and make selectable]
    --package AID            load file AID (default: from the tapcard package header in FILE)
    --module AID             module AID (default: from the package header)
    --instance AID           instance AID (default: the module AID)
    --privileges HEX         1 or 3 privilege bytes (default 00)
    --params HEX             application install parameters (the value of tag C9)
  --delete AID               delete an application, or a load file and its applications
  --put-key                  load a new ISD key set (PUT KEY, keys encrypted under K-DEK)
    --new-kvn N              its key version, hex (e.g. 31)
    --new-key HEX            its key, used as K-ENC = K-MAC = K-DEK (16, 24 or 32 bytes)
    --replace-kvn N          replace key set N instead of adding one

secure channel:
  --key HEX                  ISD key, K-ENC = K-MAC = K-DEK (default ${DEV_KEY_HEX},
                             the well-known development key: never on a real card)
  --kmc HEX                  master key instead: the card's keys are diversified from it over the
                             KDD the card sends (GlobalPlatformPro KDF3; firmware/src/core/gp/diversify.ts)
  --kvn N                    key version to use, hex (default 00: the card's first key set)
  --sl LEVEL                 security level 01, 03, 11, 13 or 33 (default 01: C-MAC)
  --isd AID                  ISD AID (default ${DEFAULT_ISD_AID_HEX})

output:
  --json                     one JSON object on stdout
  --verbose                  trace plain APDUs on stderr (before wrapping / after unwrapping)
  --help

exit codes: 0 ok, 2 usage, 3 card error status word or secure channel failure, 4 no card/reader,
6 card removed, 7 PC/SC unavailable, 1 anything else.
`;

interface Options {
  transport: { kind: 'vpcd'; host: string; port: number } | { kind: 'pcsc'; reader?: string };
  waitMs: number;
  list: boolean;
  install?: { file: string; packageAid?: Uint8Array; moduleAid?: Uint8Array; instanceAid?: Uint8Array; privileges?: Uint8Array; params?: Uint8Array };
  delete?: Uint8Array;
  putKey?: { newKvn: number; key: Uint8Array; replaceKvn: number };
  keys: OpenKeys;
  devKey: boolean;
  kvn: number;
  securityLevel: number;
  isd: Uint8Array;
  json: boolean;
  verbose: boolean;
}

interface Report {
  reader?: string;
  atr?: string;
  isd?: { aid: string; maxCommandData: number };
  secureChannel?: SecureChannelInfo;
  deleted?: string;
  installed?: InstallResult;
  putKey?: { kvn: number; kcvs: string[] };
  registry?: CardRegistry;
}

const OPTIONS = {
  'vpcd-listen': { type: 'string' },
  pcsc: { type: 'string' },
  wait: { type: 'string' },
  list: { type: 'boolean', default: false },
  install: { type: 'string' },
  package: { type: 'string' },
  module: { type: 'string' },
  instance: { type: 'string' },
  privileges: { type: 'string' },
  params: { type: 'string' },
  delete: { type: 'string' },
  'put-key': { type: 'boolean', default: false },
  'new-kvn': { type: 'string' },
  'new-key': { type: 'string' },
  'replace-kvn': { type: 'string' },
  key: { type: 'string' },
  kmc: { type: 'string' },
  kvn: { type: 'string' },
  sl: { type: 'string' },
  isd: { type: 'string' },
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
} as const;

export function run(argv: string[]): Promise<number> {
  // `--pcsc` takes an optional reader name: give it an empty value when none follows.
  const args = argv.flatMap((a, i) => (a === '--pcsc' && (i + 1 === argv.length || argv[i + 1].startsWith('-')) ? ['--pcsc='] : [a]));
  return runCommand({ name: 'gp', help: HELP, options: OPTIONS }, args, async (v) => {
    const options = gpOptions(v);
    const report: Report = {};
    try {
      await withCard(options, report, (transmit) => manage(options, transmit, report));
      print(options, report);
      return EXIT.OK;
    } catch (e) {
      return fail(options, report, e);
    }
  });
}

/** The options checked against each other; a bad one is a UsageError. */
function gpOptions(v: CommandValues<typeof OPTIONS>): Options {
  if ((v['vpcd-listen'] === undefined) === (v.pcsc === undefined)) throw new UsageError('give exactly one of --vpcd-listen PORT and --pcsc [READER]');
  let transport: Options['transport'];
  if (v['vpcd-listen'] !== undefined) {
    const m = /^(?:(.+):)?(\d+)$/.exec(v['vpcd-listen']);
    const port = m === null ? -1 : Number(m[2]);
    if (m === null || port > 65535) throw new UsageError(`--vpcd-listen must be PORT or HOST:PORT, got '${v['vpcd-listen']}'`);
    transport = { kind: 'vpcd', host: m[1] ?? '127.0.0.1', port };
  } else {
    transport = { kind: 'pcsc', reader: v.pcsc === '' ? undefined : v.pcsc };
  }
  if (!v.list && v.install === undefined && v.delete === undefined && !v['put-key']) {
    throw new UsageError('nothing to do: give --list, --install FILE, --delete AID and/or --put-key');
  }
  for (const o of ['package', 'module', 'instance', 'privileges', 'params'] as const) {
    if (v[o] !== undefined && v.install === undefined) throw new UsageError(`--${o} goes with --install`);
  }
  for (const o of ['new-kvn', 'new-key', 'replace-kvn'] as const) {
    if (v[o] !== undefined && !v['put-key']) throw new UsageError(`--${o} goes with --put-key`);
  }
  if (v.key !== undefined && v.kmc !== undefined) throw new UsageError('give --key or --kmc, not both');

  const securityLevel = v.sl === undefined ? 0x01 : hexNumber('--sl', v.sl, 0xff);
  if (!isSecurityLevel(securityLevel)) throw new UsageError(`--sl must be 01, 03, 11, 13 or 33, got '${v.sl}'`);
  const keys: OpenKeys = v.kmc !== undefined ? { masterKey: aesKey('--kmc', v.kmc) } : { keys: sameKeyForAll(aesKey('--key', v.key ?? DEV_KEY_HEX)) };
  const options: Options = {
    transport,
    waitMs: 1000 * (v.wait === undefined ? DEFAULT_WAIT_S : secondsOption('wait', v.wait)),
    list: v.list,
    keys,
    devKey: v.key === undefined && v.kmc === undefined,
    kvn: v.kvn === undefined ? 0 : hexNumber('--kvn', v.kvn, 0x7f),
    securityLevel,
    isd: aid('--isd', v.isd ?? DEFAULT_ISD_AID_HEX),
    json: v.json,
    verbose: v.verbose,
  };
  if (v.delete !== undefined) options.delete = aid('--delete', v.delete);
  if (v.install !== undefined) {
    if (!existsSync(v.install)) throw new UsageError(`--install ${v.install}: no such file`);
    options.install = { file: v.install };
    if (v.package !== undefined) options.install.packageAid = aid('--package', v.package);
    if (v.module !== undefined) options.install.moduleAid = aid('--module', v.module);
    if (v.instance !== undefined) options.install.instanceAid = aid('--instance', v.instance);
    if (v.privileges !== undefined) {
      const p = hexBytes('--privileges', v.privileges);
      if (p.length !== 1 && p.length !== 3) throw new UsageError(`--privileges must be 1 or 3 bytes, got ${p.length}`);
      options.install.privileges = p;
    }
    if (v.params !== undefined) options.install.params = hexBytes('--params', v.params);
  }
  if (v['put-key']) {
    if (v['new-kvn'] === undefined || v['new-key'] === undefined) throw new UsageError('--put-key needs --new-kvn N and --new-key HEX');
    const newKvn = hexNumber('--new-kvn', v['new-kvn'], 0x7f);
    if (newKvn === 0) throw new UsageError('--new-kvn must be 01..7F');
    options.putKey = {
      newKvn,
      key: aesKey('--new-key', v['new-key']),
      replaceKvn: v['replace-kvn'] === undefined ? 0 : hexNumber('--replace-kvn', v['replace-kvn'], 0x7f),
    };
  }
  return options;
}

function hexBytes(name: string, text: string): Uint8Array {
  try {
    return fromHex(text);
  } catch {
    throw new UsageError(`${name} must be hex, got '${text}'`);
  }
}

function aid(name: string, text: string): Uint8Array {
  const b = hexBytes(name, text);
  if (b.length < 5 || b.length > 16) throw new UsageError(`${name} must be an AID of 5..16 bytes, got ${b.length}`);
  return b;
}

function aesKey(name: string, text: string): Uint8Array {
  const b = hexBytes(name, text);
  if (b.length !== 16 && b.length !== 24 && b.length !== 32) throw new UsageError(`${name} must be an AES key of 16, 24 or 32 bytes, got ${b.length}`);
  return b;
}

function hexNumber(name: string, text: string, max: number): number {
  if (!/^(0x)?[0-9a-f]{1,2}$/i.test(text)) throw new UsageError(`${name} must be a hex byte, got '${text}'`);
  const n = parseInt(text.replace(/^0x/i, ''), 16);
  if (n > max) throw new UsageError(`${name} must be at most ${max.toString(16).toUpperCase()}, got '${text}'`);
  return n;
}

/** Opens the transport, runs body with it, and always closes it. */
async function withCard(options: Options, report: Report, body: (transmit: Transmit) => Promise<void>): Promise<void> {
  const t = options.transport;
  if (t.kind === 'pcsc') {
    const conn = await connectPcsc({ reader: t.reader, timeoutMs: options.waitMs });
    report.reader = conn.readerName;
    report.atr = toHex(conn.atr).toUpperCase();
    try {
      await body(conn.transmit);
    } finally {
      await conn.close();
    }
    return;
  }
  const reader = new VpcdReader();
  const port = await reader.listen(t.port, t.host);
  try {
    note(options, `waiting for a card on vpcd ${t.host}:${port} (e.g. tapcard se serve --vpcd ${t.host}:${port} --state DIR)`);
    await reader.waitForCard(options.waitMs);
    report.reader = `vpcd ${t.host}:${port}`;
    report.atr = toHex(await reader.powerOn()).toUpperCase();
    await body(reader.transmit);
    await reader.powerOff().catch(() => undefined);
  } finally {
    await reader.close();
  }
}

async function manage(options: Options, transmit: Transmit, report: Report): Promise<void> {
  const trace = options.verbose
    ? (dir: 'command' | 'response', apdu: Uint8Array) => console.error(`${dir === 'command' ? '>' : '<'} ${toHex(apdu).toUpperCase()}`)
    : undefined;
  const gp = new GpSession(transmit, { trace });
  try {
    const isd: SelectedIsd = await gp.selectIsd(options.isd);
    report.isd = { aid: toHex(isd.aid).toUpperCase(), maxCommandData: isd.maxCommandData };
    if (options.devKey) note(options, `warning: no key given, using the development key ${DEV_KEY_HEX}`);
    report.secureChannel = await gp.openSecureChannel({ ...options.keys, kvn: options.kvn, securityLevel: options.securityLevel });
    if (options.delete !== undefined) {
      await gp.delete(options.delete, true);
      report.deleted = toHex(options.delete).toUpperCase();
    }
    if (options.install !== undefined) {
      const i = options.install;
      const file = parseLoadFile(readLoadFile(i.file));
      report.installed = await gp.install(file, {
        ...i,
        parser: tapcardPackageHeader,
        onProgress: (p) => progress(options, `LOAD ${p.block}/${p.blocks} (${p.bytes}/${p.totalBytes} bytes)`, p.block === p.blocks),
      });
    }
    if (options.putKey !== undefined) {
      const k = options.putKey;
      const kcvs = await gp.putKeySet(k.newKvn, sameKeyForAll(k.key), k.replaceKvn);
      report.putKey = { kvn: k.newKvn, kcvs };
    }
    if (options.list) report.registry = await gp.list();
  } finally {
    gp.close();
  }
}

function readLoadFile(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new LoadFileError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

function print(options: Options, r: Report): void {
  if (options.json) {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  if (r.deleted !== undefined) console.log(`Deleted ${r.deleted}`);
  if (r.installed !== undefined) {
    const i = r.installed;
    console.log(`Installed ${i.instanceAid} (module ${i.moduleAid}) from load file ${i.packageAid}: ${i.blocks} LOAD block(s) of up to ${i.blockSize} bytes`);
  }
  if (r.putKey !== undefined) console.log(`Key set ${hex2(r.putKey.kvn)} loaded: KCV ENC ${r.putKey.kcvs[0]} MAC ${r.putKey.kcvs[1]} DEK ${r.putKey.kcvs[2]}`);
  if (r.registry !== undefined) console.log(formatRegistry(r.registry));
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0').toUpperCase();
}

/** Status lines go to stderr, so stdout stays the result. */
function note(options: Options, text: string): void {
  if (!options.json || options.verbose) console.error(`tapcard gp: ${text}`);
}

function progress(options: Options, text: string, last: boolean): void {
  if (options.json && !options.verbose) return;
  if (process.stderr.isTTY) process.stderr.write(`\r${text}${last ? '\n' : ''}`);
  else process.stderr.write(`${text}\n`);
}

function fail(options: Options, report: Report, e: unknown): number {
  const err = e as Error & { code?: string; sw?: number };
  let code: number = EXIT.FAILURE;
  if (e instanceof CardError || e instanceof CardResponseError || e instanceof SecureChannelError) code = EXIT.CARD_ERROR;
  else if (e instanceof NoCardError) code = EXIT.NOT_FOUND;
  else if (e instanceof CardRemovedError) code = EXIT.CARD_REMOVED;
  else if (e instanceof PcscUnavailableError) code = EXIT.UNAVAILABLE;
  else if (e instanceof GpArgumentError) code = EXIT.USAGE;
  else if (!(e instanceof Error)) throw e;
  const sw = typeof err.sw === 'number' && err.sw !== 0 ? err.sw : undefined;
  if (options.json) {
    const error = { code: err.code ?? err.name, message: err.message, ...(sw !== undefined ? { sw: hex4(sw), swText: swText(sw) } : {}) };
    console.log(JSON.stringify({ ...report, error }, null, 2));
  }
  console.error(`tapcard gp: ${err.message}`);
  return code;
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0').toUpperCase();
}
