/**
 * The terminals' HTTP API on the platform (docs/terminal-api.md), mounted under
 * /v1/terminal/ on the platform's HTTP server. JSON in and out, every body checked against its
 * schema, every request authenticated as one registered terminal (credentials.ts):
 *
 *   Authorization: Bearer <terminal key>      Tapcard-Terminal: <terminal id>
 *
 * Bad credentials answer 401 before anything is read or changed; a role that may not run the flow
 * 403. Routes only map HTTP to calls: each request goes to the party behind it (the issuer
 * servers and the payment system, contracts/issuer-services.ts), whose rules decide it. The
 * platform keeps its own record of every transaction a card confirmed (audit log), written once
 * when the issuer answers confirmed (again for a retried confirm whose first answer never got
 * recorded), which reconciliation compares with the issuers' ledgers and the card's TACs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fromHex, toHex } from '../../../firmware/src/core/hex';
import {
  LoadAuthoriseSchema, LoadAuthorisedSchema, LoadConfirmSchema, LoadConfirmedSchema, LoadReleaseSchema, LoadReleasedSchema, LoadRequestSchema, PurchaseAuthoriseSchema,
  PurchaseAuthorisedSchema, PurchaseConfirmSchema, PurchaseConfirmedSchema, PurchaseRequestSchema,
} from '../../../contracts/purse-messages';
import {
  LoyaltyAuthoriseSchema, LoyaltyAuthorisedSchema, LoyaltyConfirmSchema, LoyaltyConfirmedSchema, LoyaltySettleSchema, LoyaltySettledSchema,
} from '../../../contracts/loyalty-messages';
import { RechargeOrderCreateSchema, RechargeOrderSchema } from '../../../contracts/recharge-order-messages';
import { encodeWire, parseWire, ValidationError } from '../../../contracts/wire-schema';
import { IssuerRefusal, type IssuerRefusalCode } from '../../../contracts/issuer-refusal';
import type { PurseIssuerService } from '../../../contracts/issuer-services';
import { audit, listAudit } from '../db/audit';
import type { PlatformDb } from '../db/database';
import { DatabaseUnavailableError } from '../db/port';
import type { HttpRoutes } from '../http/server';
import type { Log } from '../log';
import { killPoint } from '../../../contracts/kill-point';
import { authenticateTerminal, type TerminalIdentity, type TerminalRole } from './credentials';
import { readJson, sendJson } from '../../../net/http/http-json';
import { reconcilePurseCard, purseRecordAction, type PurseRecord } from './reconciliation';
import { createOrder, rechargeOrder, refundOrder, requireOrderOwner } from './recharge-orders';
import type { TerminalServices } from './terminal-services';

export const TERMINAL_API_PREFIX = '/v1/terminal/';
export const TERMINAL_ID_HEADER = 'tapcard-terminal';

const STATUS: Record<IssuerRefusalCode, number> = {
  INVALID: 400,
  UNKNOWN_CARD: 404,
  NOT_FOUND: 404,
  DECLINED: 402,
  INSUFFICIENT_FUNDS: 402,
  CARD_PROOF: 422,
  CONFLICT: 409,
  FORBIDDEN: 403,
};

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Call {
  terminal: TerminalIdentity;
  match: RegExpExecArray;
  url: URL;
  body: unknown;
}

interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  roles: readonly TerminalRole[];
  run(call: Call): Promise<{ status?: number; body: unknown }>;
}

const PURSE_ROLES: Record<'transit' | 'bank', readonly TerminalRole[]> = { transit: ['transit', 'transit-payment'], bank: ['bank'] };

/**
 * The platform's record of a transaction the card confirmed, unless it holds one of this action at
 * this card counter already (the issuer answers a retried confirm with the same confirmed row).
 */
function recordOnce(db: PlatformDb, terminal: TerminalIdentity, action: string, card: string, detail: Record<string, unknown> & { counter: number }): void {
  db.transaction(() => {
    if (listAudit(db, card).some((a) => a.action === action && a.detail?.counter === detail.counter)) return;
    audit(db, `terminal:${terminal.id}`, action, card, detail);
  })();
}

export function terminalApi(s: TerminalServices, log: Log): HttpRoutes {
  const record = (t: TerminalIdentity, issuer: string, r: PurseRecord, card: string): void => {
    recordOnce(s.db, t, purseRecordAction(issuer, r.kind), card, r as unknown as Record<string, unknown> & { counter: number });
  };

  const purseRoutes = (issuer: 'transit' | 'bank', server: PurseIssuerService): Route[] => [
    {
      method: 'POST',
      path: new RegExp(`^/v1/terminal/${issuer}/purchase/authorise$`),
      roles: issuer === 'transit' ? ['transit'] : PURSE_ROLES.bank,
      async run({ terminal, body }) {
        const tx = parseWire(PurchaseAuthoriseSchema, body);
        const mac1 = await server.authorisePurchase(tx);
        audit(s.db, `terminal:${terminal.id}`, `terminal.${issuer}.purchase.authorised`, toHex(tx.cardNumber), { counter: tx.offlineCounter, amount: tx.amount });
        killPoint('platform.after-authorise');
        return { body: encodeWire(PurchaseAuthorisedSchema, { mac1 }) };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^/v1/terminal/${issuer}/purchase/confirm$`),
      roles: PURSE_ROLES[issuer],
      async run({ terminal, body }) {
        const { tac, mac2, ...tx } = parseWire(PurchaseConfirmSchema, body);
        killPoint('platform.after-card-answer');
        const request = encodeWire(PurchaseRequestSchema, tx);
        const row = await server.confirmPurchase(tx, { tac, mac2 });
        if (row !== null) record(terminal, issuer, { kind: 'purchase', counter: tx.offlineCounter, amount: tx.amount, tac: row.tac ?? '', mac2: toHex(mac2), request }, request.cardNumber);
        killPoint('platform.after-confirm');
        if (row === null) return { body: encodeWire(PurchaseConfirmedSchema, { verified: false }) };
        return { body: encodeWire(PurchaseConfirmedSchema, { verified: true, tac: ledgerTac(row.tac) }) };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^/v1/terminal/${issuer}/load/authorise$`),
      roles: PURSE_ROLES[issuer],
      async run({ terminal, body }) {
        const { mac1, orderId, accountId, payerCode, ...tx } = parseWire(LoadAuthoriseSchema, body);
        const cardNumber = toHex(tx.cardNumber);
        if (terminal.role === 'transit-payment' && orderId === undefined) throw new ValidationError('orderId: the second terminal loads paid recharge orders only');
        if (issuer === 'transit' && orderId !== undefined) requireOrderOwner(s.db, terminal.id, orderId);
        const mac2 = await server.authoriseLoad(tx, mac1, { orderId, accountId, payerCode });
        audit(s.db, `terminal:${terminal.id}`, `terminal.${issuer}.load.authorised`, cardNumber, { counter: tx.onlineCounter, amount: tx.amount, orderId: orderId ?? null });
        killPoint('platform.after-authorise');
        return { body: encodeWire(LoadAuthorisedSchema, { mac2 }) };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^/v1/terminal/${issuer}/load/confirm$`),
      roles: PURSE_ROLES[issuer],
      async run({ terminal, body }) {
        const { tac, ...tx } = parseWire(LoadConfirmSchema, body);
        killPoint('platform.after-card-answer');
        const request = encodeWire(LoadRequestSchema, tx);
        const row = await server.confirmLoad(tx, tac);
        if (row !== null) record(terminal, issuer, { kind: 'load', counter: tx.onlineCounter, amount: tx.amount, tac: row.tac ?? '', mac2: null, request }, request.cardNumber);
        killPoint('platform.after-confirm');
        if (row === null) return { body: encodeWire(LoadConfirmedSchema, { verified: false }) };
        return { body: encodeWire(LoadConfirmedSchema, { verified: true, tac: ledgerTac(row.tac), orderId: row.orderId, balanceAfter: row.balanceAfter }) };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^/v1/terminal/${issuer}/load/release$`),
      roles: PURSE_ROLES[issuer],
      async run({ terminal, body }) {
        const { mac1, orderId, ...tx } = parseWire(LoadReleaseSchema, body);
        if (orderId !== undefined) rechargeOrder(s.db, s, terminal.id, orderId); // FORBIDDEN unless the caller's order
        const row = await server.releaseLoad(tx, mac1, orderId ?? null);
        if (row !== null) audit(s.db, `terminal:${terminal.id}`, `terminal.${issuer}.load.released`, toHex(tx.cardNumber), { counter: tx.onlineCounter, amount: row.amount, orderId: row.orderId });
        return { body: encodeWire(LoadReleasedSchema, { released: row !== null, counter: tx.onlineCounter, amount: row?.amount ?? null, orderId: row?.orderId ?? null }) };
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^/v1/terminal/${issuer}/cards/(\\d{20})/reconciliation$`),
      roles: PURSE_ROLES[issuer],
      async run({ match, url }) {
        server.requireCard(match[1]);
        const b = url.searchParams.get('balance');
        if (b !== null && !/^\d{1,10}$/.test(b)) throw new ValidationError(`balance: expected fen as digits, got '${b}'`);
        return { body: await reconcilePurseCard(s.db, server, match[1], b === null ? null : Number(b)) };
      },
    },
  ];

  const routes: Route[] = [
    ...purseRoutes('transit', s.transit),
    ...purseRoutes('bank', s.bank),
    {
      method: 'POST',
      path: /^\/v1\/terminal\/recharge-orders$/,
      roles: ['transit-payment'],
      async run({ terminal, body }) {
        const j = parseWire(RechargeOrderCreateSchema, body);
        const { order, replayed } = createOrder(s.db, s, terminal.id, j);
        if (!replayed) audit(s.db, `terminal:${terminal.id}`, 'terminal.recharge-order.paid', j.idempotencyKey, { amount: j.amount });
        killPoint('platform.after-payment');
        return { status: replayed ? 200 : 201, body: encodeWire(RechargeOrderSchema, order) };
      },
    },
    {
      method: 'GET',
      path: /^\/v1\/terminal\/recharge-orders\/([A-Za-z0-9._:-]{1,100})$/,
      roles: ['transit-payment'],
      async run({ terminal, match }) {
        return { body: encodeWire(RechargeOrderSchema, rechargeOrder(s.db, s, terminal.id, match[1])) };
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/terminal\/recharge-orders\/([A-Za-z0-9._:-]{1,100})\/refund$/,
      roles: ['transit-payment'],
      async run({ terminal, match }) {
        const order = refundOrder(s.db, s, terminal.id, match[1]);
        audit(s.db, `terminal:${terminal.id}`, 'terminal.recharge-order.refunded', match[1], { amount: order.amount });
        return { body: encodeWire(RechargeOrderSchema, order) };
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/terminal\/merchant\/authorise$/,
      roles: ['merchant'],
      async run({ terminal, body }) {
        const j = parseWire(LoyaltyAuthoriseSchema, body);
        const { value, mac } = s.merchant.authorise(j);
        audit(s.db, `terminal:${terminal.id}`, `terminal.merchant.${j.operation}.authorised`, j.cardNumber, { counter: j.counter, value });
        killPoint('platform.after-authorise');
        return { body: encodeWire(LoyaltyAuthorisedSchema, { value, mac }) };
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/terminal\/merchant\/confirm$/,
      roles: ['merchant'],
      async run({ terminal, body }) {
        const { newPoints, newCounter, receipt, ...j } = parseWire(LoyaltyConfirmSchema, body);
        killPoint('platform.after-card-answer');
        const row = s.merchant.confirm(j, { points: newPoints, counter: newCounter, receipt });
        if (row !== null) recordOnce(s.db, terminal, `terminal.merchant.${j.operation}`, j.cardNumber, { counter: j.counter, value: j.value, points: newPoints, receipt: row.tac });
        killPoint('platform.after-confirm');
        return { body: encodeWire(LoyaltyConfirmedSchema, { verified: row !== null }) };
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/terminal\/merchant\/settle$/,
      roles: ['merchant'],
      async run({ body }) {
        const j = parseWire(LoyaltySettleSchema, body);
        const settled = s.merchant.settle(j.cardNumber, j.counter);
        return { body: encodeWire(LoyaltySettledSchema, { settled: settled.map((r) => ({ operation: r.kind, value: r.amount, counter: r.counter, pointsAfter: r.balanceAfter })) }) };
      },
    },
    {
      method: 'GET',
      path: /^\/v1\/terminal\/merchant\/cards\/(\d{20})\/ledger$/,
      roles: ['merchant'],
      async run({ match }) {
        s.merchant.requireCard(match[1]);
        return { body: { cardNumber: match[1], entries: s.merchant.ledger(match[1]) } };
      },
    },
  ];

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      const terminal = authenticate(req);
      const route = routes.find((r) => r.path.test(url.pathname));
      if (route === undefined) throw new HttpFailure(404, 'NO_RESOURCE', `no resource ${url.pathname}`);
      if (req.method !== route.method) throw new HttpFailure(405, 'METHOD', `method ${req.method} not allowed`);
      if (!route.roles.includes(terminal.role)) throw new HttpFailure(403, 'FORBIDDEN', `a ${terminal.role} terminal may not call ${url.pathname}`);
      const body = route.method === 'POST' ? await readJson(req) : undefined;
      const out = await route.run({ terminal, match: route.path.exec(url.pathname) as RegExpExecArray, url, body });
      sendJson(res, out.status ?? 200, out.body);
    } catch (e) {
      const f = failure(e);
      if (f.status === 500) log('terminal-api.error', { path: url.pathname, error: (e as Error).message });
      sendJson(res, f.status, { error: f.message, code: f.code }, f.status === 401 ? { 'www-authenticate': 'Bearer realm="tapcard terminals"' } : f.status === 503 ? { 'retry-after': '1' } : {});
    }
  }

  function authenticate(req: IncomingMessage): TerminalIdentity {
    const id = req.headers[TERMINAL_ID_HEADER];
    const auth = req.headers.authorization;
    const key = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
    const who = typeof id === 'string' && key !== '' ? authenticateTerminal(s.db, id, key) : null;
    if (who === null) throw new HttpFailure(401, 'UNAUTHORISED', 'unknown terminal or wrong key');
    return who;
  }

  return {
    handles: (pathname) => pathname.startsWith(TERMINAL_API_PREFIX),
    handle: (req, res, url) => void handle(req, res, url),
  };
}

/** A confirmed ledger row's TAC (hex) as the answer carries it. */
function ledgerTac(tac: string | null): Uint8Array | undefined {
  return tac === null ? undefined : fromHex(tac);
}

function failure(e: unknown): { status: number; code: string; message: string } {
  if (e instanceof HttpFailure) return { status: e.status, code: e.code, message: e.message };
  if (e instanceof ValidationError) return { status: 400, code: e.code, message: e.message };
  if (e instanceof IssuerRefusal) return { status: STATUS[e.code], code: e.code, message: e.message };
  if (e instanceof DatabaseUnavailableError) return { status: 503, code: 'UNAVAILABLE', message: 'the platform database is unavailable: try again shortly' };
  return { status: 500, code: 'INTERNAL', message: 'internal error' };
}
