/**
 * APDU fuzzing of the SE (seeded, fast-check): in each state a card can be in (fresh ISD, an SCP03
 * session at SL 01 and 33, each card application selected, a purse inside a transaction) a
 * sequence of generated command APDUs, biased towards the instructions the SE knows and towards
 * malformed lengths (Lc that lies, truncated headers, extended lengths, oversized bodies). For every
 * command: no exception, a response of at least a status word, and no flash write when the status
 * word says the command was refused. Security counters (PIN tries, purse MAC failures, SCP03
 * authentication) are the exceptions the card specs require to write on a refusal.
 *
 * Used by the CI suite (test/fuzz/apdu.test.ts, >= 20,000 APDUs) and the long campaign (npm run fuzz).
 */
import fc from 'fast-check';
import { fromHex } from '../../firmware/src/core/hex';
import { checkStore } from '../../firmware/src/core/store/check';
import { MAX_RESPONSE_LEN } from '../../firmware/src/core/se/secure-element';
import { MemoryFlash } from '../../host/flash/memory-flash';
import { GpSession } from '../../host/gp/gp-session';
import { sameKeyForAll } from '../../host/gp/keys';
import { DEV_ISD_KEY } from '../../host/se/virtual-se';
import { diversifyPurseKeys } from '../../firmware/src/core/package/card-keys';
import { devTransitMasterKeys } from '../../firmware/src/core/package/dev-keys';
import { FLASH_PAGES, TestSe, cardPackage, installPackage } from '../applets/_harness';
import { PurseTerminal, load } from '../applets/_terminal';

const TRANSIT_AID = 'a00000063201010503e8';
/** The harness's default card number (cardRequest). */
const TRANSIT_CARD = '31041000000000012345';
const ECASH_AID = 'f05441504345430bb8';
const LOYALTY_AID = 'f0544150434c5901f4';

/** Instructions the SE and its applications answer (GP, ISO 7816-4, JR/T 0025, loyalty). */
const KNOWN_INS = [0xa4, 0x50, 0x82, 0xe6, 0xe8, 0xe4, 0xf2, 0xca, 0xd8, 0xc0, 0x52, 0x54, 0x5c, 0x5a, 0xb2, 0xb0, 0x20, 0x84, 0x30, 0x32, 0x34, 0x36];
const CLAS = [0x00, 0x80, 0x84, 0x04, 0x0c, 0x90, 0x01, 0xff];

/** Status words after which a command may have written: the security counters the specs require. */
function mayWriteOnRefusal(sw: number): boolean {
  return (sw & 0xfff0) === 0x63c0 || sw === 0x6300 || sw === 0x9302 || sw === 0x9303 || sw === 0x6983;
}

function refused(sw: number): boolean {
  return sw !== 0x9000 && (sw & 0xff00) !== 0x6100 && sw !== 0x6310 && (sw & 0xff00) !== 0x6200;
}

const byte = fc.integer({ min: 0, max: 255 });

/** Well-formed commands the SE and its cards accept in some state: the seeds of mutation. */
const VALID_COMMANDS = [
  '00a4040008a00000015100000000', // SELECT ISD
  `00a404000a${TRANSIT_AID}00`,
  `00a4040009${ECASH_AID}00`,
  `00a4040009${LOYALTY_AID}00`,
  '00a404000e325041592e5359532e444446303100', // SELECT 2PAY.SYS.DDF01
  '80503000081122334455667788', // INITIALIZE UPDATE
  '80f28002024f0000', // GET STATUS
  '80ca006600', // GET DATA card data
  '80ca00e000', // GET DATA key information
  '805c000204', // GET BALANCE (EP)
  '805000020b01000003e80011223344550f', // INITIALIZE FOR LOAD
  '805001020b0100000064001122334455 0f'.replace(' ', ''), // INITIALIZE FOR PURCHASE
  '805a00020200 0108'.replace(' ', ''), // GET TRANSACTION PROVE
  '00b2010400', // READ RECORD
  '00b0950000', // READ BINARY SFI 15
  '0020000003123456', // VERIFY
];

/** A valid command with 1-3 mutations: a byte changed, cut short, lengthened, or its Lc changed. */
const mutatedCommand: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.constantFrom(...VALID_COMMANDS),
    fc.array(fc.tuple(fc.constantFrom('set', 'cut', 'append', 'lc'), fc.nat(), byte), { minLength: 1, maxLength: 3 }),
  )
  .map(([hex, mutations]) => {
    let b = Array.from(fromHex(hex));
    for (const [kind, at, value] of mutations) {
      if (kind === 'set' && b.length > 0) b[at % b.length] = value;
      else if (kind === 'cut') b = b.slice(0, at % (b.length + 1));
      else if (kind === 'append') b.push(...Array.from({ length: (at % 8) + 1 }, () => value));
      else if (kind === 'lc' && b.length > 4) b[4] = value;
    }
    return Uint8Array.from(b);
  });

/** Commands built from scratch: random header, any of the length shapes. */
const generatedCommand: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...CLAS) }, { weight: 1, arbitrary: byte }),
    fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...KNOWN_INS) }, { weight: 1, arbitrary: byte }),
    byte,
    byte,
    fc.oneof(
      fc.constant<'case1'>('case1'),
      fc.constant<'case2'>('case2'),
      fc.constant<'case3'>('case3'),
      fc.constant<'case4'>('case4'),
      fc.constant<'lying'>('lying'),
      fc.constant<'extended'>('extended'),
      fc.constant<'truncated'>('truncated'),
    ),
    fc.uint8Array({ maxLength: 300 }),
    byte,
  )
  .map(([cla, ins, p1, p2, shape, data, le]) => {
    const head = [cla, ins, p1, p2];
    const short = data.subarray(0, 255);
    switch (shape) {
      case 'case1':
        return Uint8Array.from(head);
      case 'case2':
        return Uint8Array.from([...head, le]);
      case 'case3':
        return Uint8Array.from([...head, short.length, ...short]);
      case 'case4':
        return Uint8Array.from([...head, short.length, ...short, le]);
      case 'lying': // Lc says one thing, the body another
        return Uint8Array.from([...head, le, ...short]);
      case 'extended':
        return Uint8Array.from([...head, 0x00, data.length >> 8, data.length & 0xff, ...data, 0x00, 0x00].slice(0, 4 + 3 + data.length + (le & 1) * 2));
      case 'truncated':
        return Uint8Array.from(head.slice(0, le & 3));
    }
  });

/** One command APDU, well-formed or not. */
export const apduArbitrary: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...VALID_COMMANDS).map((h) => fromHex(h)) },
  { weight: 3, arbitrary: mutatedCommand },
  { weight: 3, arbitrary: generatedCommand },
);

export type FuzzState = 'isd' | 'scp03-sl01' | 'scp03-sl33' | 'transit' | 'ecash' | 'loyalty' | 'transit-in-purchase';
export const FUZZ_STATES: readonly FuzzState[] = ['isd', 'scp03-sl01', 'scp03-sl33', 'transit', 'ecash', 'loyalty', 'transit-in-purchase'];

export interface FuzzCounts {
  apdus: number;
  refused: number;
  failures: string[];
}

/** A flash image with the three card applications installed, made once per process. */
let cardsImage: Uint8Array | null = null;

async function imageWithCards(): Promise<Uint8Array> {
  if (cardsImage !== null) return cardsImage;
  const t = new TestSe();
  for (const c of [{ app: 'transit' as const }, { app: 'ecash' as const, issuerId: 3000 }, { app: 'loyalty' as const, issuerId: 500 }]) {
    const { spec, file } = cardPackage({ termsLength: 300, ...c });
    await installPackage(t.transmit, file, spec);
  }
  cardsImage = t.flash.snapshot();
  return cardsImage;
}

/** An SE in `state`, on its own copy of the flash. */
async function seIn(state: FuzzState): Promise<TestSe> {
  const t = new TestSe(new MemoryFlash(FLASH_PAGES, await imageWithCards()));
  const select = (aid: string): void => void t.ok(`00a40400${(aid.length / 2).toString(16).padStart(2, '0')}${aid}00`);
  switch (state) {
    case 'isd':
      break;
    case 'scp03-sl01':
    case 'scp03-sl33': {
      const gp = new GpSession(t.transmit);
      await gp.selectIsd();
      await gp.openSecureChannel({ keys: sameKeyForAll(fromHex(DEV_ISD_KEY)), securityLevel: state === 'scp03-sl01' ? 0x01 : 0x33 });
      break;
    }
    case 'transit':
      select(TRANSIT_AID);
      break;
    case 'ecash':
      select(ECASH_AID);
      break;
    case 'loyalty':
      select(LOYALTY_AID);
      break;
    case 'transit-in-purchase': {
      // 20.00 loaded, then INITIALIZE FOR PURCHASE of 1.00: the purse waits for its DEBIT
      select(TRANSIT_AID);
      const terminal = new PurseTerminal(diversifyPurseKeys(devTransitMasterKeys(), fromHex(TRANSIT_CARD)));
      load((h) => t.send(h), terminal, 2, 2000);
      t.ok(terminal.initPurchase(2, 100));
      break;
    }
  }
  return t;
}

/** Runs `runs` sequences of `length` generated APDUs in each state; returns what it saw. */
export async function runApduCampaign(seed: number, runs: number, length: number, onProgress?: (apdus: number) => void): Promise<FuzzCounts> {
  const counts: FuzzCounts = { apdus: 0, refused: 0, failures: [] };
  const out = new Uint8Array(MAX_RESPONSE_LEN);
  for (const state of FUZZ_STATES) {
    const result = await fc.check(
      fc.asyncProperty(fc.array(apduArbitrary, { minLength: length, maxLength: length }), async (apdus) => {
        const t = await seIn(state); // a fresh SE per run, so a shrunk case replays alone
        for (const apdu of apdus) {
          const writesBefore = t.flash.programCount + t.flash.eraseCount;
          let n: number;
          try {
            n = t.se.transceive(apdu, apdu.length, out);
          } catch (err) {
            throw new Error(`${state}: ${Buffer.from(apdu).toString('hex')} threw ${(err as Error).message}`);
          }
          counts.apdus++;
          if (n < 2) throw new Error(`${state}: ${Buffer.from(apdu).toString('hex')} answered ${n} bytes, no status word`);
          const sw = (out[n - 2] << 8) | out[n - 1];
          const wrote = t.flash.programCount + t.flash.eraseCount !== writesBefore;
          if (refused(sw)) {
            counts.refused++;
            if (wrote && !mayWriteOnRefusal(sw)) {
              throw new Error(`${state}: ${Buffer.from(apdu).toString('hex')} refused with ${sw.toString(16)} but wrote to flash`);
            }
          }
        }
        const check = checkStore(t.se.store);
        if (!check.ok) throw new Error(`${state}: store inconsistent after the run: ${check.problems.join('; ')}`);
        onProgress?.(counts.apdus);
        return true;
      }),
      { seed, numRuns: runs, endOnFailure: true },
    );
    if (result.failed) counts.failures.push(`${String((result.errorInstance as Error | undefined)?.message ?? result.errorInstance)} (seed ${result.seed}, path ${result.counterexamplePath})`);
  }
  return counts;
}
