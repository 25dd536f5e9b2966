/**
 * `tapcard platform reconcile`, wired from cli/platform.ts: money reconciliation over the data
 * directory (platform-server/src/terminals/money-reconciliation.ts). Prints each card (settled, held, open), each recharge order
 * and each account, then the open items and the mismatches; exit code 1 when anything mismatches.
 */
import { EXIT } from '../contracts/exit-codes';
import { runCommand, UsageError } from './command';
import { PLATFORM_OPTIONS, withPlatform } from './platform-options';
import { reconcileMoney, type MoneyReconciliation } from '../platform-server/src/terminals/money-reconciliation';
import { startSimulatedParties } from './simulated-parties';

export const HELP_RECONCILE = `usage: tapcard platform reconcile [--card NUMBER=AMOUNT]... [--data DIR] [--db URL] [--json]

Checks that money is neither made nor lost: each card's confirmed loads minus purchases (loyalty:
earns minus redeems) against what the card holds, each recharge order paid once and loaded at most
once (refunded: never loaded), each account's balance against its opening balance less what it
paid. Open items (an authorisation the card has not answered, a paid order not loaded yet) are
listed; the next tap of the card or the order's key settles them.

  --card NUMBER=AMOUNT  what card NUMBER (20 digits) holds, as 'tapcard pos read' shows it: fen on
                        a purse, points on a loyalty card (repeatable; cards not given are checked
                        against their ledger only)

exit codes: 0 everything reconciles (open items allowed), 1 a mismatch, 2 usage
`;

function cardBalances(given: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const g of given) {
    const m = /^(\d{20})=(\d{1,10})$/.exec(g);
    if (m === null) throw new UsageError(`--card: expected NUMBER=AMOUNT (20 digits = fen or points), got '${g}'`);
    out.set(m[1], Number(m[2]));
  }
  return out;
}

export function reconcileCommand(argv: string[]): Promise<number> {
  const options = { ...PLATFORM_OPTIONS, card: { type: 'string', multiple: true, default: [] as string[] }, json: { type: 'boolean', default: false } } as const;
  return runCommand({ name: 'platform reconcile', help: HELP_RECONCILE, options }, argv, async (v) => {
    const balances = cardBalances(v.card);
    return withPlatform(v, async (p) => {
      const parties = startSimulatedParties(p);
      try {
        const r = await reconcileMoney(parties.services, balances);
        console.log(v.json ? JSON.stringify(r) : reconciliationText(r));
        return r.mismatches.length === 0 ? EXIT.OK : EXIT.FAILURE;
      } finally {
        parties.close();
      }
    });
  });
}

function money(fen: number): string {
  return (fen / 100).toFixed(2);
}

function reconciliationText(r: MoneyReconciliation): string {
  const lines: string[] = [];
  for (const c of r.cards) {
    const unit = c.issuer === 'merchant' ? (n: number) => `${n} points` : money;
    const held = c.card === null ? 'not read' : unit(c.card);
    lines.push(`card     ${c.issuer.padEnd(8)} ${c.cardNumber}  settled ${unit(c.settled)}  card ${held}  open ${c.open}`);
  }
  for (const o of r.orders) {
    const state = o.payment === 'refunded' ? 'refunded' : o.loads > 0 ? 'loaded' : 'paid, not loaded (open)';
    lines.push(`order    ${o.idempotencyKey}  ${money(o.amount)} from ${o.accountId}  ${state}`);
  }
  for (const a of r.accounts) {
    const expected = a.expected === null ? 'opening not recorded' : `expected ${money(a.expected)}`;
    lines.push(`account  ${a.system.padEnd(8)} ${a.id}  ${money(a.balance)}  ${expected}`);
  }
  lines.push(`open ${r.open}, settled ${r.cards.length} cards ${r.orders.length} orders ${r.accounts.length} accounts, mismatches ${r.mismatches.length}`);
  for (const m of r.mismatches) lines.push(`MISMATCH ${m}`);
  return lines.join('\n');
}
