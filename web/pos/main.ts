/** The till: choose the flow and the amount, press Tap, hold the card to the reader; the result or the decline shows, and the session's taps below. */
import { get, post } from '../common/api';
import { byId, fill, h, money, table } from '../common/dom';
import type { Tap } from './wire';


const LABELS: Record<string, string> = {
  'transit-debit': 'Transit fare (debit)',
  'transit-recharge': 'Transit recharge (cash)',
  'transit-recharge-third-party': 'Transit recharge paid by third party',
  'bank-deposit': 'Bank e-cash deposit',
  'bank-debit': 'Bank e-cash purchase',
  'merchant-earn': 'Merchant: earn points for a purchase',
  'merchant-redeem': 'Merchant: redeem points',
};
const PAYING = ['transit-recharge-third-party', 'bank-deposit'];

const value = (t: Tap, v: number | null): string => (v === null ? '-' : t.unit === 'points' ? `${v} pt` : money(v));
const amountText = (t: Tap): string => (t.flow === 'merchant-redeem' ? `${t.amount} pt` : money(t.amount));

/** '2', '2.5', '2.50' -> fen; points for redeem; null when it is not an amount. */
function parseAmount(text: string, points: boolean): number | null {
  const m = points ? /^(\d{1,9})$/.exec(text.trim()) : /^(\d{1,8})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (m === null) return null;
  const n = points ? Number(m[1]) : Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return n > 0 ? n : null;
}

function resultBlock(t: Tap): HTMLElement {
  if (!t.ok) return h('div', { class: 'result bad', id: 'result' }, h('strong', {}, 'Declined. '), t.reason ?? '');
  return h(
    'div',
    { class: 'result ok', id: 'result' },
    h('strong', {}, `${LABELS[t.flow] ?? t.flow}: ${amountText(t)}`),
    h('div', {}, `card ${t.cardNumber ?? '-'}`),
    h('div', {}, 'balance ', h('span', { id: 'before' }, value(t, t.before)), ' → ', h('strong', { id: 'after' }, value(t, t.after))),
    h('div', { class: 'mono' }, `${t.unit === 'points' ? 'receipt' : 'TAC'} ${t.proof ?? '-'}`),
  );
}

function renderTaps(taps: Tap[]): void {
  fill(
    byId('taps'),
    table(
      ['time', 'flow', 'amount', 'card', 'before', 'after', 'TAC / receipt or reason'],
      taps.map((t) => [t.at.slice(11, 19), t.flow, amountText(t), t.cardNumber ?? '-', value(t, t.before), value(t, t.after), t.ok ? h('span', { class: 'mono' }, t.proof ?? '') : h('span', { class: 'bad' }, t.reason ?? '')]),
      'no taps yet',
    ),
  );
}

async function start(): Promise<void> {
  const till = await get<{ reader: string; flows: string[]; taps: Tap[] }>('/v1/pos/till');
  fill(byId('reader'), `reader: ${till.reader}`);
  const flow = byId<HTMLSelectElement>('flow');
  fill(flow, ...till.flows.map((f) => h('option', { value: f }, LABELS[f] ?? f)));
  const paying = (): void => {
    for (const id of ['account', 'payer-code']) byId(id).classList.toggle('hidden', !PAYING.includes(flow.value));
  };
  flow.addEventListener('change', paying);
  paying();
  renderTaps(till.taps);
  byId('tap-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void tap();
  });
}

async function tap(): Promise<void> {
  const flow = byId<HTMLSelectElement>('flow').value;
  const amount = parseAmount(byId<HTMLInputElement>('amount').value, flow === 'merchant-redeem');
  if (amount === null) return fill(byId('status'), h('div', { class: 'result bad' }, flow === 'merchant-redeem' ? 'Enter whole points.' : 'Enter an amount like 2.00.'));
  const button = byId<HTMLButtonElement>('tap');
  button.disabled = true;
  fill(byId('status'), h('div', { class: 'result', id: 'waiting' }, 'Hold the card to the reader…'));
  try {
    const t = await post<Tap>('/v1/pos/tap', { flow, amount, account: byId<HTMLInputElement>('account').value, payerCode: byId<HTMLInputElement>('payer-code').value });
    fill(byId('status'), resultBlock(t));
  } catch (err) {
    fill(byId('status'), h('div', { class: 'result bad', id: 'result' }, (err as Error).message));
  } finally {
    button.disabled = false;
    renderTaps((await get<{ taps: Tap[] }>('/v1/pos/till')).taps);
  }
}

void start();
