/**
 * `tapcard package`: build a card's install package (docs/package-format.md) and
 * inspect one. The file holds the Load File Data Block exactly as the LOAD commands carry it
 * (`C4 len ...`), so any GlobalPlatform host can install it with the AIDs `inspect --json` names.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { SoftTripleDes } from '../firmware/src/core/crypto/des';
import { SoftAes } from '../firmware/src/core/crypto/aes';
import { kcv3Des, kcvAes } from '../firmware/src/core/crypto/kcv';
import { fromHex, toHex } from '../firmware/src/core/hex';
import { decodeBcd, encodeBcd, encodePin, isBcdDate } from '../firmware/src/core/package/bcd';
import { DEFAULT_POINTS_CEILING, DEFAULT_PURSE_CEILING, makePackageSpec } from '../firmware/src/core/package/card-package';
import {
  devBankMasterKeys, devMerchantMasterKeys, devTransitMasterKeys, type LoyaltyMasterKeys, type PurseMasterKeys,
} from '../firmware/src/core/package/dev-keys';
import { CARD_NUMBER_LEN, KEY_ALG_AES128, PIN_MAX_DIGITS, PIN_MIN_DIGITS, SIGNATURE_ED25519 } from '../firmware/src/core/package/format';
import { parsePackage, type ParsedPackage } from '../firmware/src/core/package/parser';
import { APP_CLASS_ECASH, APP_CLASS_LOYALTY, APP_CLASS_TRANSIT } from '../firmware/src/core/se/package-header';
import { loadBlockCount, loadBlockSize } from '../firmware/src/core/gp/load-script';
import {
  buildPackageFile, devIssuerSigningKey, signingKeyFromSeed, verifyPackageSignature, type IssuerSigningKey, type SignatureCheck,
} from '../parties/keys';
import { runCommand, runSubcommand, UsageError } from './command';
import { EXIT } from '../contracts/exit-codes';

const HELP = `usage: tapcard package build --app transit|ecash|loyalty --issuer ID --card-number N
                              (--dev-keys | --master-keys FILE) --out FILE [options]
       tapcard package inspect FILE [--json] [--issuer-key HEX]

build: one card's install package. FILE gets the Load File Data Block exactly as the GP LOAD
commands carry it (C4 len ...); install it with 'tapcard gp --install FILE --instance AID
--privileges HEX' (the AIDs and privileges are what 'inspect' prints).

  --app CLASS          transit (PBOC e-purse), ecash (bank ED/EP), loyalty (merchant points)
  --issuer ID          issuer id, 0..65535 (transit: part of the AID, e.g. 1000 Beijing)
  --card-number N      up to 20 digits (the application serial number, BCD)
  --dev-keys           the issuer's published development master keys and signing key
                       (docs/package-format.md): test cards only
  --master-keys FILE   JSON master keys instead: purse {"keyIndex":1,"keyVersion":1,"load":HEX,
                       "purchase":HEX,"tac":HEX}, loyalty {"keyIndex":1,"keyVersion":1,"mac":HEX};
                       optional "signingSeed":HEX (32 bytes, Ed25519) signs the package
  --aid HEX            application (instance) AID instead of the class default
  --tunion             transit: the bare T-Union AID A000000632010105
  --default            make it the default card (answers when a reader selects nothing)
  --pin DIGITS         ecash: 4..12 digit PIN required before ED purchases
  --ceiling N          highest balance in fen / points (default ${DEFAULT_PURSE_CEILING} / ${DEFAULT_POINTS_CEILING})
  --valid-from DATE    YYYYMMDD (default today)
  --valid-to DATE      YYYYMMDD (default five years on)
  --name TEXT          card face name (default from class and issuer)
  --terms-file FILE    terms of use (UTF-8); default: tapcard's development terms (a few KB)
  --unsigned           do not sign
  --json               print the inspect JSON of the new package

inspect: prints the package's fields; never keys, only their check values (KCV).
  --json               one JSON object: loadFileAid, moduleAid, instanceAid, applicationAid...
  --issuer-key HEX     Ed25519 public key to verify the signature with (default: the development
                       key of the package's issuer, which only verifies development packages)

exit codes: 0 ok, 1 malformed package or I/O error, 2 usage.
`;

const CLASSES: Record<string, number> = { transit: APP_CLASS_TRANSIT, ecash: APP_CLASS_ECASH, loyalty: APP_CLASS_LOYALTY };
const CLASS_NAMES: Record<number, string> = { [APP_CLASS_TRANSIT]: 'transit', [APP_CLASS_ECASH]: 'ecash', [APP_CLASS_LOYALTY]: 'loyalty' };
const KEY_TYPES: Record<number, string> = { 1: 'load', 2: 'purchase', 3: 'tac', 4: 'loyalty-mac' };

export async function run(argv: string[]): Promise<number> {
  try {
    return await runSubcommand('package', HELP, { build, inspect }, argv);
  } catch (e) {
    console.error(`tapcard package: ${(e as Error).message}`);
    return EXIT.FAILURE;
  }
}

const BUILD_OPTIONS = {
  app: { type: 'string' },
  issuer: { type: 'string' },
  'card-number': { type: 'string' },
  'dev-keys': { type: 'boolean', default: false },
  'master-keys': { type: 'string' },
  aid: { type: 'string' },
  tunion: { type: 'boolean', default: false },
  default: { type: 'boolean', default: false },
  pin: { type: 'string' },
  ceiling: { type: 'string' },
  'valid-from': { type: 'string' },
  'valid-to': { type: 'string' },
  name: { type: 'string' },
  'terms-file': { type: 'string' },
  unsigned: { type: 'boolean', default: false },
  out: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

function build(argv: string[]): Promise<number> {
  return runCommand({ name: 'package build', help: HELP, options: BUILD_OPTIONS }, argv, (v) => {
    const appClass = CLASSES[v.app ?? ''];
    if (appClass === undefined) throw new UsageError('--app must be transit, ecash or loyalty');
    const issuerId = intOption('--issuer', v.issuer, 0, 0xffff);
    if (v['card-number'] === undefined || !/^\d{1,20}$/.test(v['card-number'])) throw new UsageError('--card-number must be 1..20 digits');
    const cardNumber = encodeBcd(v['card-number'], CARD_NUMBER_LEN)!;
    if (v.out === undefined) throw new UsageError('--out FILE is required');
    if (v['dev-keys'] === (v['master-keys'] !== undefined)) throw new UsageError('give exactly one of --dev-keys and --master-keys FILE');
    if (v.tunion && (appClass !== APP_CLASS_TRANSIT || v.aid !== undefined)) throw new UsageError('--tunion is for a transit card without --aid');
    if (v.pin !== undefined && appClass !== APP_CLASS_ECASH) throw new UsageError('--pin is for an ecash card');

    const keys = v['dev-keys'] ? devKeys(appClass, issuerId) : readMasterKeys(v['master-keys']!, appClass);
    const pin = v.pin === undefined ? null : encodePin(v.pin, PIN_MIN_DIGITS, PIN_MAX_DIGITS);
    if (pin === null && v.pin !== undefined) throw new UsageError(`--pin must be ${PIN_MIN_DIGITS}..${PIN_MAX_DIGITS} digits`);
    const today = new Date();
    const validFrom = dateOption('--valid-from', v['valid-from'] ?? ymd(today));
    const validTo = dateOption('--valid-to', v['valid-to'] ?? ymd(new Date(Date.UTC(today.getUTCFullYear() + 5, today.getUTCMonth(), today.getUTCDate()))));
    const name = v.name ?? `tapcard ${CLASS_NAMES[appClass]} ${issuerId}`;
    const terms = v['terms-file'] !== undefined ? readFileSync(v['terms-file']) : Buffer.from(developmentTerms(CLASS_NAMES[appClass], issuerId), 'utf8');
    const spec = makePackageSpec({
      appClass,
      issuerId,
      cardNumber,
      purseKeys: keys.purse,
      loyaltyKeys: keys.loyalty,
      applicationAid: v.aid === undefined ? null : aidOption('--aid', v.aid),
      tunion: v.tunion,
      defaultCard: v.default,
      validFrom,
      validTo,
      ceiling: v.ceiling === undefined ? null : intOption('--ceiling', v.ceiling, 0, 0x7fffffff),
      pin,
      issuerData: null,
      cardFaceName: new Uint8Array(Buffer.from(name, 'utf8')),
      terms: new Uint8Array(terms),
    });
    const file = buildPackageFile(spec, v.unsigned ? null : keys.signing);
    writeFileSync(v.out, file);
    const parsed = parsePackage(file);
    if (parsed.error !== '') throw new Error(`built a package that does not parse back: ${parsed.error}`);
    const signature = keys.signing === null || v.unsigned ? 'unsigned' : verifyPackageSignature(file, parsed, keys.signing.publicKey);
    if (v.json) console.log(JSON.stringify(describe(file, parsed, signature), null, 2));
    else console.log(`wrote ${v.out}: ${file.length} bytes, ${CLASS_NAMES[appClass]} card ${v['card-number']}, instance AID ${toHex(spec.instanceAid).toUpperCase()}, ${signature === 'valid' ? 'signed' : signature}`);
    if (keys.signing === null && !v.unsigned) console.error('tapcard package: no "signingSeed" in the master key file: the package is unsigned');
    return EXIT.OK;
  });
}

function inspect(argv: string[]): Promise<number> {
  const options = { json: { type: 'boolean', default: false }, 'issuer-key': { type: 'string' } } as const;
  return runCommand({ name: 'package inspect', help: HELP, options, positionals: true }, argv, (v, positionals) => {
    if (positionals.length !== 1) throw new UsageError('inspect takes one FILE');
    const file = new Uint8Array(readFileSync(positionals[0]));
    const parsed = parsePackage(file);
    if (parsed.error !== '') {
      console.error(`tapcard package: ${positionals[0]} is not a tapcard package: ${parsed.error}`);
      return EXIT.FAILURE;
    }
    const publicKey = v['issuer-key'] !== undefined ? hexOption('--issuer-key', v['issuer-key']) : devIssuerSigningKey(parsed.issuerId).publicKey;
    const info = describe(file, parsed, verifyPackageSignature(file, parsed, publicKey));
    if (v.json) console.log(JSON.stringify(info, null, 2));
    else console.log(formatInfo(info));
    return EXIT.OK;
  });
}

interface Keys {
  purse: PurseMasterKeys | null;
  loyalty: LoyaltyMasterKeys | null;
  signing: IssuerSigningKey | null;
}

function devKeys(appClass: number, issuerId: number): Keys {
  const signing = devIssuerSigningKey(issuerId);
  if (appClass === APP_CLASS_LOYALTY) return { purse: null, loyalty: devMerchantMasterKeys(), signing };
  return { purse: appClass === APP_CLASS_TRANSIT ? devTransitMasterKeys() : devBankMasterKeys(), loyalty: null, signing };
}

function readMasterKeys(path: string, appClass: number): Keys {
  const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const hexField = (name: string, len: number): Uint8Array => {
    const b = typeof j[name] === 'string' ? hexOption(`${path}: "${name}"`, j[name] as string) : null;
    if (b === null || b.length !== len) throw new UsageError(`${path}: "${name}" must be ${len} bytes of hex`);
    return b;
  };
  const keyIndex = typeof j.keyIndex === 'number' ? j.keyIndex : 1;
  const keyVersion = typeof j.keyVersion === 'number' ? j.keyVersion : 1;
  const signing = j.signingSeed === undefined ? null : signingKeyFromSeed(hexField('signingSeed', 32));
  if (appClass === APP_CLASS_LOYALTY) return { purse: null, loyalty: { keyIndex, keyVersion, mac: hexField('mac', 16) }, signing };
  return { purse: { keyIndex, keyVersion, load: hexField('load', 16), purchase: hexField('purchase', 16), tac: hexField('tac', 16) }, loyalty: null, signing };
}

/** What inspect reports (keys only as KCVs). */
function describe(file: Uint8Array, p: ParsedPackage, signature: SignatureCheck) {
  const hex = (b: Uint8Array) => toHex(b).toUpperCase();
  const blocks = (level: number) => loadBlockCount(file.length, loadBlockSize(255, level));
  return {
    fileLength: file.length,
    loadFileDataBlockLength: p.valueLen,
    appClass: p.appClass,
    className: CLASS_NAMES[p.appClass] ?? 'unknown',
    version: `${p.version >> 8}.${p.version & 0xff}`,
    loadFileAid: hex(p.packageAid),
    moduleAid: hex(p.moduleAid),
    instanceAid: hex(p.instanceAid),
    applicationAid: hex(p.instanceAid),
    privileges: hex(p.privileges),
    defaultCard: (p.privileges[0] & 0x04) !== 0,
    cardNumber: decodeBcd(p.cardNumber, 0, p.cardNumber.length),
    issuerId: p.issuerId,
    issuerData: hex(p.issuerData),
    validFrom: toHex(p.validFrom),
    validTo: toHex(p.validTo),
    ceiling: p.ceiling,
    keys: p.keys.map((k) => ({ type: KEY_TYPES[k.type] ?? `0x${k.type.toString(16)}`, index: k.index, version: k.version, algorithm: k.algorithm === KEY_ALG_AES128 ? 'AES-128' : '3DES', kcv: kcv(k.value, k.algorithm) })),
    pin: p.pin !== null,
    cardFaceName: p.cardFaceName === null ? null : Buffer.from(p.cardFaceName).toString('utf8'),
    termsLength: p.terms === null ? 0 : p.terms.length,
    signature: p.signature === null ? null : { algorithm: p.signature.algorithm === SIGNATURE_ED25519 ? 'Ed25519' : `0x${p.signature.algorithm.toString(16)}`, keyId: hex(p.signature.keyId), check: signature },
    loadBlocks: { cmac: blocks(0x01), cdecCmac: blocks(0x03) },
  };
}

type Info = ReturnType<typeof describe>;

function formatInfo(i: Info): string {
  const lines = [
    `tapcard package, ${i.fileLength} bytes (LOAD blocks: ${i.loadBlocks.cmac} with C-MAC, ${i.loadBlocks.cdecCmac} with C-DEC + C-MAC)`,
    `  class         ${i.className} (${i.appClass.toString(16).padStart(2, '0')}), version ${i.version}`,
    `  load file     ${i.loadFileAid}`,
    `  module        ${i.moduleAid}`,
    `  instance      ${i.instanceAid} (application AID)`,
    `  privileges    ${i.privileges}${i.defaultCard ? ' (default card)' : ''}`,
    `  card number   ${i.cardNumber}`,
    `  issuer        ${i.issuerId}, issuer data ${i.issuerData}`,
    `  valid         ${i.validFrom} .. ${i.validTo}`,
    `  ceiling       ${i.ceiling}`,
    ...i.keys.map((k) => `  key           ${k.type} #${k.index} v${k.version} ${k.algorithm} KCV ${k.kcv}`),
    `  PIN           ${i.pin ? 'yes' : 'no'}`,
    `  card face     ${i.cardFaceName ?? '-'}`,
    `  terms         ${i.termsLength} bytes`,
    `  signature     ${i.signature === null ? 'none' : `${i.signature.algorithm}, key id ${i.signature.keyId}: ${i.signature.check}`}`,
  ];
  return lines.join('\n');
}

function kcv(key: Uint8Array, algorithm: number): string {
  const out = new Uint8Array(3);
  if (algorithm === KEY_ALG_AES128) {
    const c = new SoftAes();
    c.setKey(key, 0, 16);
    kcvAes(c, out, 0);
    c.wipe();
  } else {
    const c = new SoftTripleDes();
    c.setKey(key, 0, 16);
    kcv3Des(c, out, 0);
    c.wipe();
  }
  return toHex(out).toUpperCase();
}

function intOption(name: string, value: string | undefined, min: number, max: number): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`${name} must be a number ${min}..${max}`);
  return Number(value);
}

function hexOption(name: string, value: string): Uint8Array {
  try {
    return fromHex(value);
  } catch {
    throw new UsageError(`${name} must be hex, got '${value}'`);
  }
}

function aidOption(name: string, value: string): Uint8Array {
  const b = hexOption(name, value);
  if (b.length < 5 || b.length > 16) throw new UsageError(`${name} must be 5..16 bytes`);
  return b;
}

function dateOption(name: string, value: string): Uint8Array {
  const b = /^\d{8}$/.test(value) ? fromHex(value) : null;
  if (b === null || !isBcdDate(b, 0)) throw new UsageError(`${name} must be a date YYYYMMDD, got '${value}'`);
  return b;
}

function ymd(d: Date): string {
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** tapcard's default terms resource: honest development-card terms, a few KB (so LOAD runs in blocks). */
function developmentTerms(app: string, issuerId: number): string {
  const clauses = [
    `This ${app} card was issued by development issuer ${issuerId} of the tapcard project. It is a test card: its keys are published development keys, so anyone can load, debit or change it. It holds no real money, points or rights.`,
    'The card lives in a smart card slot of the secure element of a tapcard terminal. It was downloaded from the service platform as an install package and installed with GlobalPlatform INSTALL and LOAD commands over a secure channel.',
    'Balances are kept in fen (0.01 CNY) or in points. Every change is written to the secure element in one atomic step together with the transaction log and the card manager record, so a power cut leaves the card as it was before or after the transaction.',
    'Loads and purchases follow the PBOC / JR/T 0025 electronic purse command set. A load needs a MAC from the issuer; a purchase needs a MAC from the terminal security module; the card answers with a transaction authentication code (TAC).',
    'After three wrong MACs in a row the card locks itself. A locked card still shows its balance and log but accepts no more transactions. Only the issuer can replace it with a new package.',
    'The card keeps its last ten transactions. A terminal that lost the answer to a transaction can ask the card for its proof (GET TRANSACTION PROVE) with the transaction counter.',
    'The issuer may delete or replace this card through the service platform at any time. Deleting the card deletes its balance, its log and its keys from the secure element.',
    'Personal data on the card is limited to the card number, the validity dates and the issuer data shown on the card face. The terminal never reads the card keys; they stay inside the secure element.',
    'These terms are a resource of the install package, carried to show that packages of realistic size are loaded block by block. They are not a contract.',
  ];
  const text = clauses.map((c, i) => `${i + 1}. ${c}`).join('\n\n');
  return `Terms of use\n\n${text}\n\n${text.replace(/^/gm, '  ')}\n`;
}
