/**
 * `tapcard platform terminal-add`, `account-add` and `payer-code`, wired from cli/platform.ts:
 * register a terminal of the terminal API (its key is printed once and stored only hashed) and
 * open a payment-system or bank account for the recharge and deposit flows, and issue an account
 * holder's payment code. They work on the data directory (accounts and codes in the simulated
 * parties' store, cli/simulated-parties.ts); the running platform sees them at once.
 */
import { EXIT } from '../contracts/exit-codes';
import { runCommand, UsageError } from './command';
import { PLATFORM_OPTIONS, withPlatform } from './platform-options';
import { openAccount } from '../parties/accounts';
import { issuePayerCode, PAYER_CODE_TTL_S } from '../parties/payer-authorisation';
import { registerTerminal, TERMINAL_ROLES, type TerminalRole } from '../platform-server/src/terminals/credentials';
import { openPartiesStore } from './simulated-parties';

export const HELP_TERMINAL_ADD = `usage: tapcard platform terminal-add --id ID --role ROLE [--data DIR] [--db URL] [--json]

Registers a terminal of the terminal API (docs/terminal-api.md) and prints its key, once: the
platform keeps only its SHA-256. Give the key to the POS (tapcard pos tap --terminal-id ID
--terminal-key KEY, or TAPCARD_TERMINAL_KEY).

  --role ROLE   transit          first terminal: transit debit and recharge (cash)
                transit-payment  second terminal: recharge paid through the third-party payment system
                bank             third terminal: e-cash deposit and debit
                merchant         fourth terminal: loyalty earn, redeem, coupons
`;

export const HELP_ACCOUNT_ADD = `usage: tapcard platform account-add --system payment|bank --id ID --balance A [--owner NAME] [--data DIR] [--db URL] [--json]

Opens an account at the in-process third-party payment system (payment) or bank (bank) with a
balance of A yuan (e.g. 100.00), for 'tapcard pos tap --pay third-party --account ID' and
'--flow bank-deposit --account ID' (each charge with a code from 'tapcard platform payer-code').
`;

function fen(text: string): number | null {
  const m = /^(\d{1,8})(?:\.(\d{1,2}))?$/.exec(text);
  return m === null ? null : Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

export function terminalAddCommand(argv: string[]): Promise<number> {
  const options = { ...PLATFORM_OPTIONS, id: { type: 'string' }, role: { type: 'string' }, json: { type: 'boolean', default: false } } as const;
  return runCommand({ name: 'platform terminal-add', help: HELP_TERMINAL_ADD, options }, argv, (v) => {
    if (v.id === undefined || v.role === undefined || !(TERMINAL_ROLES as readonly string[]).includes(v.role)) {
      throw new UsageError(`needs --id and --role ${TERMINAL_ROLES.join('|')}`);
    }
    const id = v.id;
    return withPlatform(v, (p) => {
      const key = registerTerminal(p.db, id, v.role as TerminalRole);
      console.log(v.json ? JSON.stringify({ id: v.id, role: v.role, key }) : `terminal ${v.id} (${v.role})\n  key  ${key}\n(shown once: the platform keeps only its hash)`);
      return EXIT.OK;
    });
  });
}

export function accountAddCommand(argv: string[]): Promise<number> {
  const options = {
    ...PLATFORM_OPTIONS, system: { type: 'string' }, id: { type: 'string' }, owner: { type: 'string' }, balance: { type: 'string' }, json: { type: 'boolean', default: false },
  } as const;
  return runCommand({ name: 'platform account-add', help: HELP_ACCOUNT_ADD, options }, argv, (v) => {
    const balance = v.balance === undefined ? null : fen(v.balance);
    if ((v.system !== 'payment' && v.system !== 'bank') || v.id === undefined || balance === null) {
      throw new UsageError('needs --system payment|bank, --id and --balance A');
    }
    const { system, id: accountId } = v;
    return withPlatform(v, (p) => {
      const parties = openPartiesStore(p);
      try {
        const account = openAccount(parties, system, accountId, v.owner ?? accountId, balance);
        const { id, owner, currency } = account;
        console.log(v.json ? JSON.stringify({ id, system: account.system, owner, balance: account.balance, currency }) : `${account.system} account ${id} (${owner}): ${(account.balance / 100).toFixed(2)} ${currency}`);
        return EXIT.OK;
      } finally {
        parties.close();
      }
    });
  });
}

export const HELP_PAYER_CODE = `usage: tapcard platform payer-code --system payment|bank --id ID --max A [--ttl S] [--data DIR] [--db URL] [--json]

What the account holder's payment app does: issues a one-use payment code for account ID at the
payment system (payment) or bank (bank), good for one charge of up to A yuan within S seconds
(default ${PAYER_CODE_TTL_S}). The holder gives it to the till: 'tapcard pos tap ... --account ID
--payer-code CODE'. Without one, charging the account is refused (403).
`;

export function payerCodeCommand(argv: string[]): Promise<number> {
  const options = {
    ...PLATFORM_OPTIONS, system: { type: 'string' }, id: { type: 'string' }, max: { type: 'string' }, ttl: { type: 'string' }, json: { type: 'boolean', default: false },
  } as const;
  return runCommand({ name: 'platform payer-code', help: HELP_PAYER_CODE, options }, argv, (v) => {
    const max = v.max === undefined ? null : fen(v.max);
    const ttl = v.ttl === undefined ? PAYER_CODE_TTL_S : /^\d{1,6}$/.test(v.ttl) && Number(v.ttl) > 0 ? Number(v.ttl) : null;
    if ((v.system !== 'payment' && v.system !== 'bank') || v.id === undefined || max === null || max === 0 || ttl === null) {
      throw new UsageError('needs --system payment|bank, --id, --max A (above 0) and an optional --ttl S');
    }
    const { system, id: accountId } = v;
    return withPlatform(v, (p) => {
      const parties = openPartiesStore(p);
      try {
        const c = issuePayerCode(parties, system, accountId, max, ttl);
        console.log(v.json ? JSON.stringify(c) : `${c.code}  (${c.system} account ${c.accountId}, up to ${(c.maxAmount / 100).toFixed(2)}, until ${c.expiresAt})`);
        return EXIT.OK;
      } finally {
        parties.close();
      }
    });
  });
}
