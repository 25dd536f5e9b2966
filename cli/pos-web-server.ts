/**
 * The POS page's server (`tapcard pos web`): the page at /, and
 *
 *   GET  /v1/pos/till   -> { reader, online, flows, taps }
 *   POST /v1/pos/tap    { flow, amount, account?, payerCode? } -> the tap (200 whether it went through or was declined)
 *
 * Amounts arrive in minor units (fen) or points, as whole numbers; the page converts what the
 * cashier typed.
 */
import { readJson, sendJson } from '../net/http/http-json';
import { startPageServer, type PageServer } from '../net/http/page-server';
import { TILL_FLOWS, type TapRequest, type Till, type TillFlow } from '../pos-sim/src/web/till';

const MAX_AMOUNT = 0x7fffffff;

export function startPosWeb(till: Till, readerName: string, port: number, host = '127.0.0.1'): Promise<PageServer> {
  return startPageServer(
    'pos',
    async (req, res, url) => {
      if (req.method === 'GET' && url.pathname === '/v1/pos/till') {
        sendJson(res, 200, { reader: readerName, flows: till.flows(), taps: till.taps });
        return true;
      }
      if (req.method === 'POST' && url.pathname === '/v1/pos/tap') {
        sendJson(res, 200, await till.tap(tapRequest(await readJson(req))));
        return true;
      }
      return false;
    },
    port,
    host,
  );
}

function tapRequest(body: unknown): TapRequest {
  const b = body as Record<string, unknown>;
  const bad = (m: string): never => {
    throw Object.assign(new Error(m), { status: 400 });
  };
  if (typeof b.flow !== 'string' || !(TILL_FLOWS as readonly string[]).includes(b.flow)) bad(`flow: one of ${TILL_FLOWS.join(', ')}`);
  if (typeof b.amount !== 'number' || !Number.isInteger(b.amount) || b.amount <= 0 || b.amount > MAX_AMOUNT) bad('amount: a whole number of fen (or points) above 0');
  const opt = (k: 'account' | 'payerCode'): string | undefined => (typeof b[k] === 'string' && b[k] !== '' ? (b[k] as string) : undefined);
  return { flow: b.flow as TillFlow, amount: b.amount as number, account: opt('account'), payerCode: opt('payerCode') };
}
