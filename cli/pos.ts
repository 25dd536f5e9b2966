/**
 * `tapcard pos`: the POS simulator's reader (pos-sim/src/reader) and the four terminals' flows.
 * `read` shows what any transit reader sees; `tap` runs a transaction: transit debit and recharge
 * (offline with the development keys, or online through the platform's terminal API, optionally
 * paid by the third-party payment system), bank e-cash deposit and debit, merchant earn and redeem
 * (online only).
 */
import { randomUUID } from 'node:crypto';
import { CardError } from '../contracts/card-errors';
import { PcscUnavailableError } from '../host/gp/pcsc-transport';
import { CardRemovedError, NoCardError } from '../host/vpcd/errors';
import { DevKeysSecurityModule } from '../parties/purse-security-module';
import { NoTransitApplicationError } from '../pos-sim/src/purse/errors';
import { CardProofError, PurseDeclinedError } from '../contracts/purse-errors';
import { FileJournal } from '../pos-sim/src/purse/file-journal';
import { formatAmount, parseAmount } from '../pos-sim/src/purse/money';
import { PurseResponseError, type LogRecord } from '../pos-sim/src/purse/purse-apdus';
import { TransitPos, type CardReading, type Recovery, type TransactionResult } from '../pos-sim/src/purse/transit-pos';
import { openReader } from '../pos-sim/src/reader/open-reader';
import { parseReaderSpec, type ReaderSpec } from '../pos-sim/src/reader/reader';
import { BankPos } from '../pos-sim/src/bank/bank-pos';
import { LoyaltyPos, NoLoyaltyApplicationError, type LoyaltyResult } from '../pos-sim/src/loyalty/loyalty-pos';
import { OnlineSecurityModule } from '../pos-sim/src/online/online-security-module';
import {
  PlatformClient, PlatformError, PlatformUnreachableError, TerminalAuthError, UnknownCardError, type PlatformEndpoint,
} from '../pos-sim/src/online/platform-client';
import { rechargeWithThirdParty, refundWithCard, type ThirdPartyRecharge } from '../pos-sim/src/online/third-party-recharge';
import type { Reader } from '../pos-sim/src/reader/reader';
import { runCommand, secondsOption, UsageError, type CommandValues } from './command';
import { EXIT } from '../contracts/exit-codes';
import { runPosWeb } from './pos-web';

const DEFAULT_JOURNAL = './.tapcard/pos/journal.json';
const DEFAULT_WAIT_S = 10;
const FLOWS = ['transit-debit', 'transit-recharge', 'bank-deposit', 'bank-debit', 'merchant-earn', 'merchant-redeem'] as const;
type Flow = (typeof FLOWS)[number];
/** The flows only the platform can authorise (no offline keys for bank and merchant). */
const ONLINE_ONLY: readonly Flow[] = ['bank-deposit', 'bank-debit', 'merchant-earn', 'merchant-redeem'];
const KEY_ENV = 'TAPCARD_TERMINAL_KEY';

const HELP = `usage: tapcard pos read [--platform URL --terminal-id ID --terminal-key KEY] [--reader SPEC] [--wait S] [--journal FILE] [--json]
       tapcard pos refund --order-key KEY --platform URL --terminal-id ID --terminal-key KEY [--reader SPEC] [--journal FILE] [--json]
       tapcard pos tap --flow FLOW --amount A [--dev-keys | --platform URL --terminal-id ID --terminal-key KEY]
                       [--pay third-party --account ID --payer-code CODE [--order-key KEY]]
                       [--account ID --payer-code CODE]
                       [--reader SPEC] [--wait S] [--journal FILE] [--json]
       tapcard pos web [--reader SPEC] [--dev-keys | --platform URL ...] [--port N]   (the till as a web page: tapcard pos web --help)

The POS simulator's reader. 'read' waits for a card, selects the transit application and shows
card number, validity, balance and the newest log records. 'tap' runs one transaction:

  transit-debit     PBOC purchase of A yuan on the transit card      (first terminal)
  transit-recharge  PBOC load of A yuan; paid in cash, or with --pay third-party from payment
                    account --account ID, payment first (second terminal)
  bank-deposit      load of A yuan onto the bank e-cash card from bank account --account ID

Charging an account needs its holder's consent: --payer-code CODE, the one-use payment code the
holder's app shows ('tapcard platform payer-code' issues one). A retry with the same --order-key
needs none: the order is paid already.
  bank-debit        purchase of A yuan on the bank e-cash card        (third terminal)
  merchant-earn     loyalty points for a purchase of A yuan (the merchant's rule)
  merchant-redeem   redeem A points (a whole number) on the loyalty card  (fourth terminal)

ONLINE (--platform): every MAC comes from the issuer's server through the platform's terminal
API (docs/terminal-api.md); the POS holds no key. The terminal key may come from ${KEY_ENV}
instead of --terminal-key. OFFLINE (--dev-keys, transit only): a security module with the
development transit master keys.

A card that leaves the field during DEBIT/CREDIT, or a POS or platform stopped before the
platform confirmed the card's answer, is settled on the card's next tap (read or tap) with GET
TRANSACTION PROVE, using the journal, and confirmed with the platform: never a lost or doubled
amount. After an online tap, read with --platform, so the platform hears of it. A third-party recharge
is named by --order-key (default: a new one, printed): run the same command with the same key
after a failure, and the paid order is loaded once (or reported loaded). Or 'refund' it: an order
whose load was authorised but not done needs the card it was meant for in the field, which proves
(a fresh INITIALIZE FOR LOAD at the same counter) that it never did the load; a card that did makes
the order loaded and the refund is refused (exit 5).

  --reader SPEC     direct:[HOST:]PORT  listen as a vpcd reader; the card connects
                                        (tapcard se serve --vpcd HOST:PORT --state DIR)
                    pcsc[:NAME]         through pcscd, the first reader whose name contains NAME
                    (default pcsc)
  --wait S          seconds to wait for a card (default ${DEFAULT_WAIT_S})
  --journal FILE    open transactions and terminal serials (default ${DEFAULT_JOURNAL})
  --json            one JSON object on stdout

exit codes: 0 ok, 1 other failure, 2 usage, 3 card error, 4 no card / no such application /
            card unknown to the issuer, 5 declined (insufficient balance or funds, credentials
            refused, order conflict), 6 card removed, 7 pcscd or platform unavailable
`;

interface Options {
  command: 'read' | 'tap' | 'refund';
  reader: ReaderSpec;
  waitMs: number;
  journal: string;
  json: boolean;
  flow: Flow | null;
  amount: number;
  /** null: offline with the development keys. */
  platform: PlatformEndpoint | null;
  payThirdParty: boolean;
  account: string | null;
  payerCode: string | null;
  orderKey: string | null;
}

const OPTIONS = {
  reader: { type: 'string', default: 'pcsc' },
  wait: { type: 'string', default: String(DEFAULT_WAIT_S) },
  journal: { type: 'string', default: DEFAULT_JOURNAL },
  flow: { type: 'string' },
  amount: { type: 'string' },
  'dev-keys': { type: 'boolean', default: false },
  platform: { type: 'string' },
  'terminal-id': { type: 'string' },
  'terminal-key': { type: 'string' },
  pay: { type: 'string' },
  account: { type: 'string' },
  'payer-code': { type: 'string' },
  'order-key': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

/** The options checked against each other; a bad one is a UsageError. */
function parse(v: CommandValues<typeof OPTIONS>, positionals: string[]): Options {
  const command = positionals[0];
  if (positionals.length !== 1 || (command !== 'read' && command !== 'tap' && command !== 'refund')) throw new UsageError("give one command: 'read', 'tap' or 'refund'");
  const reader = parseReaderSpec(v.reader);
  if (reader === null) throw new UsageError(`--reader must be direct:[HOST:]PORT or pcsc[:NAME], got '${v.reader}'`);
  const wait = secondsOption('wait', v.wait);
  const options: Options = {
    command, reader, waitMs: wait * 1000, journal: v.journal, json: v.json, flow: null, amount: 0, platform: null, payThirdParty: false, account: null, payerCode: null, orderKey: null,
  };
  const key = v['terminal-key'] ?? process.env[KEY_ENV];
  if (v.platform !== undefined) {
    if (v['dev-keys']) throw new UsageError('give --dev-keys (offline) or --platform (online), not both');
    if (!/^https?:\/\/[^/]+/.test(v.platform)) throw new UsageError(`--platform must be the platform's HTTP API URL (http://host:port), got '${v.platform}'`);
    if (v['terminal-id'] === undefined || key === undefined || key === '') throw new UsageError(`--platform needs --terminal-id and --terminal-key (or ${KEY_ENV})`);
    options.platform = { url: v.platform, terminalId: v['terminal-id'], terminalKey: key };
  }
  if (command === 'read') {
    if (v.flow !== undefined || v.amount !== undefined) throw new UsageError('--flow and --amount belong to tap');
    return options;
  }
  if (command === 'refund') {
    if (v.flow !== undefined || v.amount !== undefined) throw new UsageError('--flow and --amount belong to tap');
    if (options.platform === null || v['order-key'] === undefined) throw new UsageError('refund needs --order-key KEY and the platform (--platform URL --terminal-id ID --terminal-key KEY)');
    if (!/^[A-Za-z0-9._:-]{1,100}$/.test(v['order-key'])) throw new UsageError('--order-key: 1..100 of A-Z a-z 0-9 . _ : -');
    options.orderKey = v['order-key'];
    return options;
  }
  if (v.flow === undefined || v.amount === undefined) throw new UsageError('tap needs --flow and --amount');
  if (!(FLOWS as readonly string[]).includes(v.flow)) throw new UsageError(`--flow must be one of ${FLOWS.join(', ')}, got '${v.flow}'`);
  const flow = v.flow as Flow;
  const amount = flow === 'merchant-redeem' ? (/^\d{1,9}$/.test(v.amount) && Number(v.amount) > 0 ? Number(v.amount) : null) : parseAmount(v.amount);
  if (amount === null) {
    throw new UsageError(flow === 'merchant-redeem'
      ? `--amount of merchant-redeem is a whole number of points, got '${v.amount}'`
      : `--amount must be a positive amount in yuan with at most two decimals (e.g. 2.00), got '${v.amount}'`);
  }
  if (options.platform === null && ONLINE_ONLY.includes(flow)) {
    throw new UsageError(`--flow ${flow} needs the platform (no offline keys): give --platform URL --terminal-id ID --terminal-key KEY`);
  }
  if (options.platform === null && !v['dev-keys']) {
    throw new UsageError('tap is authorised offline with --dev-keys (development transit keys) or online through the terminal flows: --platform URL --terminal-id ID --terminal-key KEY');
  }
  if (v.pay !== undefined) {
    if (v.pay !== 'third-party') throw new UsageError(`--pay must be third-party, got '${v.pay}'`);
    if (flow !== 'transit-recharge' || options.platform === null) throw new UsageError('--pay third-party is a transit-recharge through the platform (--platform ...)');
    options.payThirdParty = true;
  }
  if (v['order-key'] !== undefined && !options.payThirdParty) throw new UsageError('--order-key names a third-party recharge (--pay third-party)');
  if (v['order-key'] !== undefined && !/^[A-Za-z0-9._:-]{1,100}$/.test(v['order-key'])) throw new UsageError('--order-key: 1..100 of A-Z a-z 0-9 . _ : -');
  const needsAccount = options.payThirdParty || flow === 'bank-deposit';
  if (needsAccount && v.account === undefined) throw new UsageError(`${options.payThirdParty ? '--pay third-party' : 'bank-deposit'} needs --account ID (the account that pays)`);
  if (!needsAccount && v.account !== undefined) throw new UsageError('--account belongs to bank-deposit and --pay third-party');
  options.flow = flow;
  options.amount = amount;
  if (v['payer-code'] !== undefined && !needsAccount) throw new UsageError('--payer-code goes with --account');
  if (v['payer-code'] !== undefined && !/^\d{18}$/.test(v['payer-code'])) throw new UsageError('--payer-code: the 18-digit payment code from the account holder');
  if (needsAccount && v['payer-code'] === undefined && v['order-key'] === undefined) {
    throw new UsageError('charging an account needs --payer-code CODE from its holder (tapcard platform payer-code)');
  }
  options.account = v.account ?? null;
  options.payerCode = v['payer-code'] ?? null;
  options.orderKey = options.payThirdParty ? (v['order-key'] ?? `pos-${randomUUID()}`) : null;
  return options;
}

export function run(argv: string[]): Promise<number> {
  if (argv[0] === 'web') return runPosWeb(argv.slice(1));
  return runCommand({ name: 'pos', help: HELP, options: OPTIONS, positionals: true }, argv, async (v, positionals) => {
    const o = parse(v, positionals);
    try {
      const journal = FileJournal.open(o.journal);
      const reader = await openReader(o.reader);
      try {
        if (o.reader.kind === 'direct' && !o.json) {
          console.error(`waiting for a card on ${reader.name} (e.g. tapcard se serve --vpcd ${o.reader.host}:${o.reader.port} --state DIR)`);
        }
        if (o.command === 'read') {
          // A transaction an online tap left open is confirmed with the platform: give --platform to read after one.
          const securityModule = o.platform === null ? new DevKeysSecurityModule() : new OnlineSecurityModule(new PlatformClient(o.platform), 'transit');
          const reading = await new TransitPos({ reader, securityModule, journal }).read(o.waitMs);
          console.log(o.json ? JSON.stringify(reading) : readingText(reading));
        } else if (o.command === 'refund') {
          const order = await refundWithCard({ reader, client: new PlatformClient(o.platform as PlatformEndpoint), journal, idempotencyKey: o.orderKey as string, timeoutMs: o.waitMs });
          console.log(o.json ? JSON.stringify(order) : `order    ${order.idempotencyKey} ${formatAmount(order.amount)} ${order.state} to account ${order.accountId}`);
        } else {
          await tap(o, reader, journal);
        }
      } finally {
        await reader.close();
      }
      return EXIT.OK;
    } catch (e) {
      return fail(o, e as Error);
    }
  });
}

/** One tap of the chosen flow; prints its result. */
async function tap(o: Options, reader: Reader, journal: FileJournal): Promise<void> {
  const client = o.platform === null ? null : new PlatformClient(o.platform);
  const flow = o.flow as Flow;
  if (client === null || flow === 'transit-debit' || (flow === 'transit-recharge' && !o.payThirdParty)) {
    const securityModule = client === null ? new DevKeysSecurityModule() : new OnlineSecurityModule(client, 'transit');
    const pos = new TransitPos({ reader, securityModule, journal });
    const result = flow === 'transit-debit' ? await pos.debit(o.amount, o.waitMs) : await pos.recharge(o.amount, o.waitMs);
    console.log(o.json ? JSON.stringify(result) : resultText(result));
    return;
  }
  if (flow === 'transit-recharge') {
    const r = await rechargeWithThirdParty({ reader, client, journal, idempotencyKey: o.orderKey as string, accountId: o.account as string, payerCode: o.payerCode ?? undefined, amount: o.amount, timeoutMs: o.waitMs });
    console.log(o.json ? JSON.stringify(r) : orderText(r));
    return;
  }
  if (flow === 'bank-deposit' || flow === 'bank-debit') {
    const bank = new BankPos({ reader, client, journal });
    const result = flow === 'bank-deposit' ? await bank.deposit(o.amount, o.account as string, o.payerCode as string, o.waitMs) : await bank.debit(o.amount, o.waitMs);
    console.log(o.json ? JSON.stringify(result) : resultText(result));
    return;
  }
  const loyalty = new LoyaltyPos({ reader, client });
  const result = flow === 'merchant-earn' ? await loyalty.earn(o.amount, o.waitMs) : await loyalty.redeem(o.amount, o.waitMs);
  console.log(o.json ? JSON.stringify(result) : loyaltyText(result));
}

function exitCodeOf(e: Error): number {
  if (e instanceof NoCardError || e instanceof NoTransitApplicationError || e instanceof NoLoyaltyApplicationError || e instanceof UnknownCardError) return EXIT.NOT_FOUND;
  if (e instanceof CardRemovedError) return EXIT.CARD_REMOVED;
  if (e instanceof PurseDeclinedError || e instanceof TerminalAuthError) return EXIT.DECLINED;
  if (e instanceof PlatformError && e.status === 409) return EXIT.DECLINED;
  if (e instanceof CardError || e instanceof CardProofError || e instanceof PurseResponseError) return EXIT.CARD_ERROR;
  if (e instanceof PcscUnavailableError || e instanceof PlatformUnreachableError) return EXIT.UNAVAILABLE;
  return EXIT.FAILURE;
}

function fail(o: Options, e: Error): number {
  const code = exitCodeOf(e);
  let hint = '';
  if (e instanceof CardRemovedError && o.command === 'tap') hint = '; tap the card again to settle the transaction';
  if (o.orderKey !== null && !(e instanceof UsageError)) hint += `; the order is ${o.orderKey}: run again with --order-key ${o.orderKey} (never charged twice)`;
  if (e instanceof PcscUnavailableError) hint = ' (here: --reader direct:PORT)';
  console.error(`tapcard pos: ${e.message}${hint}`);
  if (o.json) {
    const sw = (e as { sw?: number }).sw;
    console.log(JSON.stringify({
      error: (e as { code?: string }).code ?? e.name, message: e.message,
      ...(sw ? { sw: sw.toString(16).padStart(4, '0').toUpperCase() } : {}),
      ...(o.orderKey !== null ? { orderKey: o.orderKey } : {}),
    }));
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

function orderText(r: ThirdPartyRecharge): string {
  const o = r.order;
  const head = [`order    ${o.idempotencyKey} paid ${formatAmount(o.amount)} from account ${o.accountId} (payment ${o.paymentId})`];
  if (r.transaction !== null) return [...head, resultText(r.transaction)].join('\n');
  return [
    ...head,
    `card     ${o.cardNumber} (loaded earlier${o.counter === null ? '' : `, counter ${o.counter}`}; nothing charged or loaded again)`,
    `balance  ${o.balanceAfter === null ? '?' : formatAmount(o.balanceAfter)} after the load`,
    `TAC      ${(o.tac ?? '').toUpperCase()}`,
  ].join('\n');
}

function loyaltyText(r: LoyaltyResult): string {
  const what = r.operation === 'earn' ? `earn     ${r.value} points` : r.operation === 'redeem' ? `redeem   ${r.value} points` : `${r.operation} ${r.value}`;
  return [
    `reader   ${r.reader}`,
    `card     ${r.cardNumber}`,
    ...r.settled.map((c) => `settled  earlier ${c.operation} of ${c.value} (counter ${c.counter}): done on the card`),
    what,
    `points   ${r.pointsBefore} -> ${r.pointsAfter}`,
    `receipt  ${r.receipt}`,
  ].join('\n');
}
