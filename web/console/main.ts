/**
 * The operator console: log in with the operator credential, then devices with the cards of their
 * SEs (download, delete, read status), jobs with live progress (server-sent events), terminals and
 * the ledgers with reconciliation and the money check.
 */
import { HttpError, get, post, setCsrf } from '../common/api';
import { byId, fill, h, money, progress, table } from '../common/dom';
import type { ConsoleDevice as Device, ConsoleJob as Job, ConsoleLedgerCard as LedgerCard, ConsoleMoney as Money } from './wire';

const API = '/v1/console/';
const jobs = new Map<string, Job>();
let applications: { id: string; name: string }[] = [];
let events: EventSource | null = null;

/** GP life cycle states of an application (GPCS §11.1.1 Table 11-5). */
function lifeCycleName(v: number | null): string {
  if (v === null) return '-';
  if (v === 0x03) return 'installed';
  if (v === 0x07) return 'selectable';
  if ((v & 0x83) === 0x83) return 'locked';
  if ((v & 0x07) === 0x07) return `personalized (${v.toString(16).padStart(2, '0')})`;
  return v.toString(16).padStart(2, '0');
}

async function start(): Promise<void> {
  byId('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void login();
  });
  byId('logout').addEventListener('click', () => void post(API + 'logout').finally(() => location.reload()));
  byId('terminal-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void addTerminal();
  });
  try {
    const s = await get<{ csrf: string }>(API + 'session');
    setCsrf(s.csrf);
    await open();
  } catch (err) {
    if (!(err instanceof HttpError && err.status === 401)) throw err;
  }
}

async function login(): Promise<void> {
  const input = byId<HTMLInputElement>('credential');
  try {
    const s = await post<{ csrf: string }>(API + 'login', { credential: input.value });
    input.value = '';
    setCsrf(s.csrf);
    fill(byId('login-error'));
    await open();
  } catch (err) {
    fill(byId('login-error'), (err as Error).message);
  }
}

async function open(): Promise<void> {
  byId('login').classList.add('hidden');
  byId('app').classList.remove('hidden');
  byId('nav').classList.remove('hidden');
  follow();
  applications = (await get<{ applications: { id: string; name: string }[] }>(API + 'applications')).applications;
  await Promise.all([loadDevices(), loadJobs(), loadTerminals(), loadLedgers()]);
}

/** Live job progress: each change arrives as a `job` event; a finished job refreshes devices and ledgers. */
function follow(): void {
  events?.close();
  events = new EventSource(API + 'events');
  events.addEventListener('open', () => fill(byId('live'), 'live'));
  events.addEventListener('error', () => fill(byId('live'), 'reconnecting'));
  events.addEventListener('job', (e) => {
    const j = JSON.parse((e as MessageEvent<string>).data) as Job;
    const before = jobs.get(j.id);
    jobs.set(j.id, j);
    renderJobs();
    if ((j.state === 'done' || j.state === 'failed') && before?.state !== j.state) void Promise.all([loadDevices(), loadLedgers()]);
  });
}

async function loadDevices(): Promise<void> {
  const { devices } = await get<{ devices: Device[] }>(API + 'devices');
  fill(byId('device-list'), ...(devices.length === 0 ? [h('p', { class: 'muted' }, 'no devices provisioned')] : devices.map(deviceBlock)));
}

function deviceBlock(d: Device): HTMLElement {
  const select = h('select', { 'aria-label': `application for ${d.id}` }, ...applications.map((a) => h('option', { value: a.id }, `${a.id} (${a.name})`)));
  const act = (what: string, body: unknown) => () => void post(`${API}devices/${encodeURIComponent(d.id)}/${what}`, body).then(loadJobs, (err: Error) => alert(err.message));
  const rows = d.cards.map((c) => [
    c.slot ?? '-',
    c.className ?? c.applicationId ?? '-',
    h('span', { class: 'mono' }, c.aid ?? '-'),
    c.issuer ?? '-',
    h('span', { class: 'mono' }, c.cardNumber ?? '-'),
    lifeCycleName(c.lifeCycle),
    h('span', { class: 'num' }, c.className === 'loyalty' && c.balance !== null ? `${c.balance} pt` : money(c.balance)),
    c.platformState ?? 'not on platform',
    c.applicationId === null ? '' : h('button', { class: 'secondary', onclick: act('delete', { app: c.applicationId }) }, 'Delete'),
  ]);
  return h(
    'div',
    { class: 'device', 'data-device': d.id },
    h('h3', {}, `${d.id} `, h('span', { class: 'muted' }, `SE ${d.seSerial} · ${d.status} · last seen ${d.lastSeenAt ?? 'never'}`)),
    table(['slot', 'class', 'AID', 'issuer', 'card number', 'life cycle', 'balance', 'platform', ''], rows, 'no cards'),
    h('p', { class: 'muted' }, d.statusReadAt === null ? 'SE registry not read yet: cards as the platform recorded them' : `SE registry read ${d.statusReadAt}; ${d.drift.length === 0 ? 'no drift' : d.drift.map((x) => x.detail).join('; ')}`),
    h('div', { class: 'row' }, select, h('button', { onclick: () => act('download', { app: select.value })() }, 'Download'), h('button', { class: 'secondary', onclick: act('status', {}) }, 'Read SE status')),
  );
}

async function loadJobs(): Promise<void> {
  for (const j of (await get<{ jobs: Job[] }>(API + 'jobs')).jobs) jobs.set(j.id, j);
  renderJobs();
}

function renderJobs(): void {
  const list = [...jobs.values()].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1)).slice(0, 50);
  fill(
    byId('job-list'),
    table(
      ['job', 'kind', 'device', 'app', 'state', 'progress', 'error'],
      list.map((j) => [
        h('span', { class: 'mono', 'data-job': j.id }, j.id.slice(0, 8)),
        j.kind,
        j.deviceId,
        j.applicationId ?? '-',
        h('span', { class: j.state === 'done' ? 'ok' : j.state === 'failed' ? 'bad' : '' }, j.state),
        progress(j.acked, j.total),
        j.error ?? '',
      ]),
      'no jobs yet',
    ),
  );
}

async function loadTerminals(): Promise<void> {
  const { terminals } = await get<{ terminals: { id: string; role: string; createdAt: string; credential: string }[] }>(API + 'terminals');
  fill(byId('terminal-list'), table(['terminal', 'role', 'registered', 'credential'], terminals.map((t) => [t.id, t.role, t.createdAt, h('span', { class: 'muted' }, t.credential)]), 'no terminals registered'));
}

async function addTerminal(): Promise<void> {
  const id = byId<HTMLInputElement>('terminal-id');
  const role = byId<HTMLSelectElement>('terminal-role');
  try {
    const t = await post<{ id: string; key: string }>(API + 'terminals', { id: id.value, role: role.value });
    fill(byId('terminal-key'), `key of ${t.id} (shown once): ${t.key}`);
    id.value = '';
    await loadTerminals();
  } catch (err) {
    fill(byId('terminal-key'), h('span', { class: 'bad' }, (err as Error).message));
  }
}

function checkCell(mismatches: string[], open: boolean): HTMLElement {
  if (mismatches.length > 0) return h('span', { class: 'bad' }, mismatches.join('; '));
  return h('span', { class: open ? 'muted' : 'ok' }, open ? 'open' : 'reconciled');
}

async function loadLedgers(): Promise<void> {
  const { cards, money: m } = await get<{ cards: LedgerCard[]; money: Money }>(API + 'ledgers');
  fill(
    byId('money'),
    h(
      'p',
      { id: 'money-check' },
      h('span', { class: m.ok ? 'ok' : 'bad' }, m.ok ? 'Money check: OK' : `Money check: ${m.mismatches.length} mismatch(es)`),
      ` · ${m.cards} card(s), ${m.orders.length} recharge order(s), ${m.accounts.length} account(s) · ${m.open} open`,
      ` · purse cards settle ${money(m.settledPurseTotal)}, the SEs last reported ${money(m.reportedPurseTotal)}${m.cardsWithoutReport > 0 ? ` (${m.cardsWithoutReport} card(s) not read yet)` : ''}`,
    ),
    ...m.mismatches.map((x) => h('p', { class: 'bad' }, x)),
    m.orders.length > 0 &&
      table(
        ['recharge order', 'account', 'amount', 'payment', 'loaded', 'check'],
        m.orders.map((o) => [h('span', { class: 'mono' }, o.idempotencyKey), o.accountId, h('span', { class: 'num' }, money(o.amount)), o.payment, o.loads, checkCell(o.mismatches, o.open)]),
      ),
    m.accounts.length > 0 &&
      table(
        ['account', 'balance', 'expected', 'check'],
        m.accounts.map((a) => [`${a.system} ${a.id}`, h('span', { class: 'num' }, money(a.balance)), a.expected === null ? 'opening not recorded' : h('span', { class: 'num' }, money(a.expected)), checkCell(a.mismatches, false)]),
      ),
  );
  fill(
    byId('ledger-list'),
    ...(cards.length === 0
      ? [h('p', { class: 'muted' }, 'no ledger entries yet')]
      : cards.map((c) =>
          h(
            'div',
            { class: 'ledger' },
            h('h3', {}, `${c.issuer} card ${c.cardNumber} `, h('span', { class: c.mismatches.length === 0 ? 'ok' : 'bad' }, c.mismatches.length === 0 ? 'reconciled' : 'mismatch')),
            h('p', { class: 'muted' }, `settled ${c.issuer === 'merchant' ? `${c.settled} pt` : money(c.settled)} · ${c.confirmed} confirmed · ${c.open} open${c.reportedBalance === null ? '' : ` · card reported ${money(c.reportedBalance)}`}`),
            ...c.mismatches.map((x) => h('p', { class: 'bad' }, x)),
            table(
              ['kind', 'counter', 'amount', 'state', 'TAC / receipt', 'TAC verified'],
              c.entries.map((e) => [e.kind, e.counter, h('span', { class: 'num' }, c.issuer === 'merchant' ? String(e.amount) : money(e.amount)), e.state === 'authorised' ? 'open' : e.state === 'confirmed' ? 'settled' : e.state, h('span', { class: 'mono' }, e.tac ?? '-'), e.tacVerified === null ? '-' : e.tacVerified ? 'yes' : 'NO']),
            ),
          ),
        )),
  );
}

void start();
