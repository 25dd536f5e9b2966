/**
 * `tapcard pos`: the POS simulator's reader (pos-sim/src/reader) and transit terminal side
 * (pos-sim/src/purse/transit-pos.ts). `read` shows what any transit reader sees; `tap` runs a PBOC
 * purchase or load, for now OFFLINE with the development-keys security module.
 */
import { parseArgs } from 'node:util';
import { CardError } from '../host/gp/errors';
import { PcscUnavailableError } from '../host/gp/pcsc-transport';
import { CardRemovedError, NoCardError } from '../host/vpcd/errors';
import { DevKeysSecurityModule } from '../pos-sim/src/purse/dev-keys-security-module';
import { CardProofError, NoTransitApplicationError, PurseDeclinedError } from '../pos-sim/src/purse/errors';
import { FileJournal } from '../pos-sim/src/purse/file-journal';
import { formatAmount, parseAmount } from '../pos-sim/src/purse/money';
import { PurseResponseError, type LogRecord } from '../pos-sim/src/purse/purse-apdus';
import { TransitPos, type CardReading, type Recovery, type TransactionResult } from '../pos-sim/src/purse/transit-pos';
import { openReader } from '../pos-sim/src/reader/open-reader';
import { parseReaderSpec, type ReaderSpec } from '../pos-sim/src/reader/reader';
import { EXIT } from './exit-codes';

const DEFAULT_JOURNAL = './.tapcard/pos/journal.json';
const DEFAULT_WAIT_S = 10;
const FLOWS = ['transit-debit', 'transit-recharge'] as const;
/** Issue 6 flows that need the platform (terminal flows); named here so the message is precise. */
const ONLINE_FLOWS = ['bank-deposit', 'bank-debit', 'merchant-earn', 'merchant-redeem'];

const HELP = `usage: tapcard pos read [--reader SPEC] [--wait S] [--json]
       tapcard pos tap --flow transit-debit|transit-recharge --amount A --dev-keys
                       [--reader SPEC] [--wait S] [--journal FILE] [--json]

The POS simulator's reader. 'read' waits for a card, selects the transit application and shows
card number, validity, balance and the newest log records. 'tap' runs a PBOC purchase
(transit-debit) or load (transit-recharge) of A yuan (e.g. 2.00).

tap works OFFLINE for now: MAC1/MAC2/TAC come from a security module holding the development
transit master keys (--dev-keys, required). Online authorisation through the platform and the
transit server comes with the terminal flows.

A card that leaves the field during DEBIT/CREDIT is settled on its next tap (read or tap) with
GET TRANSACTION PROVE, using the journal: never a lost or doubled amount.

  --reader SPEC     direct:[HOST:]PORT  listen as a vpcd reader; the card connects
                                        (tapcard se serve --vpcd HOST:PORT --state DIR)
                    pcsc[:NAME]         through pcscd, the first reader whose name contains NAME
                    (default pcsc)
  --wait S          seconds to wait for a card (default ${DEFAULT_WAIT_S})
  --journal FILE    open transactions and terminal serials (default ${DEFAULT_JOURNAL})
  --dev-keys        authorise with the development transit keys (offline, development only)
  --json            one JSON object on stdout

exit codes: 0 ok, 2 usage, 3 card error, 4 no card / no transit application,
            5 declined (e.g. insufficient balance, 9401), 6 card removed, 7 pcscd unavailable
`;

class UsageError extends Error {}

interface Options {
  command: 'read' | 'tap';
  reader: ReaderSpec;
  waitMs: number;
  journal: string;
  json: boolean;
  flow: (typeof FLOWS)[number] | null;
  amount: number;
}

function parse(argv: string[]): Options | 'help' {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      reader: { type: 'string', default: 'pcsc' },
      wait: { type: 'string', default: String(DEFAULT_WAIT_S) },
      journal: { type: 'string', default: DEFAULT_JOURNAL },
      flow: { type: 'string' },
      amount: { type: 'string' },
      'dev-keys': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) return 'help';
  const command = positionals[0];
  if (positionals.length !== 1 || (command !== 'read' && command !== 'tap')) throw new UsageError("give one command: 'read' or 'tap'");
  const reader = parseReaderSpec(v.reader!);
  if (reader === null) throw new UsageError(`--reader must be direct:[HOST:]PORT or pcsc[:NAME], got '${v.reader}'`);
  const wait = Number(v.wait);
  if (!Number.isFinite(wait) || wait <= 0) throw new UsageError(`--wait must be a positive number of seconds, got '${v.wait}'`);
  const options: Options = { command, reader, waitMs: wait * 1000, journal: v.journal!, json: v.json!, flow: null, amount: 0 };
  if (command === 'read') {
    if (v.flow !== undefined || v.amount !== undefined) throw new UsageError('--flow and --amount belong to tap');
    return options;
  }
  if (v.flow === undefined || v.amount === undefined) throw new UsageError('tap needs --flow and --amount');
  if (ONLINE_FLOWS.includes(v.flow)) throw new UsageError(`--flow ${v.flow} needs the platform; it comes with the terminal flows`);
  if (!(FLOWS as readonly string[]).includes(v.flow)) throw new UsageError(`--flow must be one of ${FLOWS.join(', ')}, got '${v.flow}'`);
  const amount = parseAmount(v.amount);
  if (amount === null) throw new UsageError(`--amount must be a positive amount in yuan with at most two decimals (e.g. 2.00), got '${v.amount}'`);
  if (!v['dev-keys']) {
    throw new UsageError('tap is offline for now: pass --dev-keys to authorise with the development transit keys ' +
      '(online authorisation through the platform comes with the terminal flows)');
  }
  options.flow = v.flow as Options['flow'];
  options.amount = amount;
  return options;
}

export async function run(argv: string[]): Promise<number> {
  let options: Options | 'help';
  try {
    options = parse(argv);
  } catch (e) {
    console.error(`tapcard pos: ${(e as Error).message}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  if (options === 'help') {
    console.log(HELP);
    return EXIT.OK;
  }
  const o = options;
  try {
    const journal = FileJournal.open(o.journal);
    const reader = await openReader(o.reader);
    try {
      if (o.reader.kind === 'direct' && !o.json) {
        console.error(`waiting for a card on ${reader.name} (e.g. tapcard se serve --vpcd ${o.reader.host}:${o.reader.port} --state DIR)`);
      }
      const pos = new TransitPos({ reader, securityModule: new DevKeysSecurityModule(), journal });
      if (o.command === 'read') {
        const reading = await pos.read(o.waitMs);
        console.log(o.json ? JSON.stringify(reading) : readingText(reading));
      } else {
        const result = o.flow === 'transit-debit' ? await pos.debit(o.amount, o.waitMs) : await pos.recharge(o.amount, o.waitMs);
        console.log(o.json ? JSON.stringify(result) : resultText(result));
      }
    } finally {
      await reader.close();
    }
    return EXIT.OK;
  } catch (e) {
    return fail(o, e as Error);
  }
}

function exitCodeOf(e: Error): number {
  if (e instanceof NoCardError || e instanceof NoTransitApplicationError) return EXIT.NOT_FOUND;
  if (e instanceof CardRemovedError) return EXIT.CARD_REMOVED;
  if (e instanceof PurseDeclinedError) return EXIT.DECLINED;
  if (e instanceof CardError || e instanceof CardProofError || e instanceof PurseResponseError) return EXIT.CARD_ERROR;
  if (e instanceof PcscUnavailableError) return EXIT.UNAVAILABLE;
  return EXIT.FAILURE;
}

function fail(o: Options, e: Error): number {
  const code = exitCodeOf(e);
  let hint = '';
  if (e instanceof CardRemovedError && o.command === 'tap') hint = '; tap the card again to settle the transaction';
  if (e instanceof PcscUnavailableError) hint = ' (here: --reader direct:PORT)';
  console.error(`tapcard pos: ${e.message}${hint}`);
  if (o.json) {
    const sw = (e as { sw?: number }).sw;
    console.log(JSON.stringify({ error: (e as { code?: string }).code ?? e.name, message: e.message, ...(sw ? { sw: sw.toString(16).padStart(4, '0').toUpperCase() } : {}) }));
  }
  return code;
}

function logLine(r: LogRecord): string {
  return `  ${r.dateTime}  ${r.kind.padEnd(8)} ${formatAmount(r.amount).padStart(9)}  terminal ${r.terminalId}  counter ${r.counter}`;
}

function recoveryText(r: Recovery | null): string[] {
  if (r === null) return [];
  const what = `earlier ${r.kind} of ${formatAmount(r.amount)} (counter ${r.counter})`;
  return [r.outcome === 'completed'
    ? `settled  ${what}: completed on the card (${r.evidence === 'prove' ? `TAC ${r.tac}` : 'found in its log'})`
    : `settled  ${what}: never reached the card, no money moved`];
}

function readingText(r: CardReading): string {
  return [
    `reader   ${r.reader}`,
    `card     ${r.cardNumber} (AID ${r.aid})`,
    `valid    ${r.validFrom} .. ${r.validTo}`,
    ...recoveryText(r.recovered),
    `balance  ${formatAmount(r.balance)}`,
    r.log.length === 0 ? 'log      (empty)' : 'log      newest first',
    ...r.log.map(logLine),
  ].join('\n');
}

function resultText(r: TransactionResult): string {
  return [
    `reader   ${r.reader}`,
    `card     ${r.cardNumber} (AID ${r.aid})`,
    ...recoveryText(r.recovered),
    `${r.kind === 'purchase' ? 'debit ' : 'credit'}   ${formatAmount(r.amount)}`,
    `balance  ${formatAmount(r.balanceBefore)} -> ${formatAmount(r.balanceAfter)}`,
    `TAC      ${r.tac}`,
  ].join('\n');
}
