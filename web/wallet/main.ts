/** The card holder's wallet: the cards on the phone's SE with their balances and recent transactions, and a button that asks the platform for a new card. */
import { get, post } from '../common/api';
import { byId, fill, h, money, progress, table } from '../common/dom';
import type { WalletCard as Card } from './wire';

interface Progress {
  job: number;
  seq: number;
  total: number;
  state: string;
}

const NAMES: Record<string, string> = { transit: 'City transit', ecash: 'Bank e-cash', loyalty: 'Merchant loyalty' };
/** How often the page asks for download progress while a card is on its way. */
const PROGRESS_POLL_MS = 250;
/** Two minutes of polling before the page stops waiting. */
const MAX_POLLS = 480;

async function loadCards(): Promise<Card[]> {
  const w = await get<{ deviceId: string; cards: Card[] }>('/v1/wallet');
  fill(byId('device'), `device ${w.deviceId}`);
  fill(
    byId('cards'),
    ...(w.cards.length === 0
      ? [h('p', { class: 'muted' }, 'no cards yet')]
      : w.cards.map((c) =>
          h(
            'div',
            { class: 'card', 'data-card': c.className ?? c.aid },
            h('div', { class: 'muted' }, NAMES[c.className ?? ''] ?? c.className ?? 'card'),
            h('div', { class: 'balance' }, c.className === 'loyalty' ? `${c.balance ?? 0} pt` : `¥ ${money(c.balance)}`),
            h('div', { class: 'mono' }, c.cardNumber ?? c.aid),
            c.log.length === 0
              ? h('p', { class: 'muted' }, c.className === 'loyalty' ? '' : 'no transactions yet')
              : table(['when', 'what', 'amount'], c.log.slice(0, 5).map((r) => [r.dateTime.slice(5, 16), r.kind === 'load' ? 'top-up' : r.kind === 'purchase' ? 'payment' : r.kind, h('span', { class: 'num' }, `${r.kind === 'purchase' ? '-' : '+'}${money(r.amount)}`)])),
          ),
        )),
  );
  return w.cards;
}

async function getCard(): Promise<void> {
  const app = byId<HTMLSelectElement>('app').value;
  const status = byId('download-status');
  const before = (await loadCards()).length;
  const startJob = (await get<Progress>('/v1/wallet/progress')).job;
  fill(status, 'asking the platform…');
  try {
    await post<{ jobId: string }>('/v1/wallet/download', { app });
  } catch (err) {
    return fill(status, h('span', { class: 'bad' }, (err as Error).message));
  }
  for (let i = 0; i < MAX_POLLS; i++) {
    const p = await get<Progress>('/v1/wallet/progress');
    const started = p.job !== startJob;
    fill(status, h('span', { id: 'download-progress' }, started && p.state === 'RELAYING' ? 'installing ' : 'waiting for the platform ', progress(started ? p.seq + 1 : 0, started && p.total > 0 ? p.total : null)));
    if (started && p.state === 'DONE' && ((await loadCards()).length > before || p.seq + 1 >= p.total)) {
      await loadCards();
      return fill(status, h('span', { class: 'ok', id: 'download-done' }, 'Your new card is ready.'));
    }
    await new Promise((r) => setTimeout(r, PROGRESS_POLL_MS));
  }
  fill(status, h('span', { class: 'bad' }, 'No answer from the platform yet: look again later.'));
}

byId('refresh').addEventListener('click', () => void loadCards());
byId('download-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void getCard();
});
void loadCards();
