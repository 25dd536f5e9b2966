/**
 * The card holder's wallet page for one terminal (`tapcard terminal --wallet-port N`): the page at /, and
 *
 *   GET  /v1/wallet           -> { deviceId, cards: [{ slot, className, aid, cardNumber, balance, log }] }
 *   POST /v1/wallet/download  { app } -> { jobId }   the download flow, asked by the terminal (flow 2)
 *   GET  /v1/wallet/progress  -> { job, seq, total, state }  the MCU relay's progress
 *
 * Purse cards (transit, e-cash) are read from the card itself as a reader would, over the SE's
 * contactless interface: SELECT by the class's partial AID (so one card of each class is read),
 * GET BALANCE and the transaction log (JR/T 0025.5 READ RECORD of the log file); the loyalty card's
 * points come from its card-manager record. Reading selects an
 * application on the SE, so the page reads only when asked, not while a POS holds the card.
 */
import { readJson, sendJson } from '../../net/http/http-json';
import { startPageServer, type PageServer } from '../../net/http/page-server';
import { ECASH_AID_PREFIX } from '../../pos-sim/src/bank/bank-pos';
import { P2_EP, TRANSIT_AID } from '../../pos-sim/src/purse/purse-apdus';
import { TransitCard } from '../../pos-sim/src/purse/transit-card';
import { SeCardDevice } from '../se/virtual-se';
import { type Terminal, TerminalError } from './terminal';
import type { WalletCard } from '../../web/wallet/wire';


/** The purse applications by class, selected as a POS selects them (partial AID): the card's own ADF. */
const PURSE_AIDS: Record<string, Uint8Array> = { transit: TRANSIT_AID, ecash: ECASH_AID_PREFIX };

export async function walletCards(t: Terminal): Promise<WalletCard[]> {
  const device = new SeCardDevice(t.se);
  device.powerOn();
  const transmit = async (apdu: Uint8Array): Promise<Uint8Array> => device.transmit(apdu);
  const cards: WalletCard[] = [];
  try {
    for (const c of t.cards()) {
      const cm = c.cardManager;
      const card: WalletCard = { slot: c.slot, className: cm?.appClassName ?? null, aid: c.aid, cardNumber: cm?.cardNumber ?? null, balance: cm?.balance ?? null, log: [] };
      const aid = cm === null ? undefined : PURSE_AIDS[cm.appClassName];
      if (aid !== undefined) {
        const purse = await TransitCard.select(transmit, aid);
        card.balance = await purse.balance(P2_EP);
        card.log = await purse.log();
      }
      cards.push(card);
    }
  } finally {
    device.powerOff(); // ends the session, as a reader's field going off does
  }
  return cards;
}

export function startWalletWeb(t: Terminal, port: number, host = '127.0.0.1'): Promise<PageServer> {
  let reading = Promise.resolve<unknown>(null);
  return startPageServer(
    'wallet',
    async (req, res, url) => {
      if (req.method === 'GET' && url.pathname === '/v1/wallet') {
        // One read of the SE at a time: each selects an application on it.
        const cards = reading.then(() => walletCards(t));
        reading = cards.catch(() => null);
        sendJson(res, 200, { deviceId: t.deviceId, cards: await cards });
        return true;
      }
      if (req.method === 'GET' && url.pathname === '/v1/wallet/progress') {
        const r = t.relay;
        sendJson(res, 200, { job: r.job, seq: r.seq, total: r.total, state: r.state });
        return true;
      }
      if (req.method === 'POST' && url.pathname === '/v1/wallet/download') {
        const app = ((await readJson(req)) as { app?: unknown }).app;
        if (typeof app !== 'string' || !/^[a-z0-9-]{1,32}$/.test(app)) throw Object.assign(new Error('app: an application id'), { status: 400 });
        const jobId = await t.requestDownload(app).catch((err: Error) => {
          // 503: the platform cannot take it now (asking again later can succeed); 409: refused.
          throw Object.assign(err, { status: err instanceof TerminalError && err.code === 'UNAVAILABLE' ? 503 : 409 });
        });
        sendJson(res, 202, { jobId });
        return true;
      }
      return false;
    },
    port,
    host,
  );
}
