/**
 * The board page: connects to an Espruino board running the tapcard firmware over Web Serial and
 * shows what its console commands status() and cards() print (firmware/src/board/espruino:
 * status-report.ts, card-commands.ts), each line as the board printed it, in a table when it has
 * the usual shape.
 */
import { byId, fill, h, table } from '../common/dom';
import { connect, connected, disconnect, run } from './board-console';

/** "key: value" lines of status(). */
function statusView(text: string): HTMLElement {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return h('p', { class: 'bad' }, 'status() printed nothing');
  return table(
    ['part', 'state'],
    lines.map((l) => {
      const colon = l.indexOf(': ');
      return colon < 0 ? ['', l] : [h('b', {}, l.slice(0, colon)), h('span', { class: 'wrap' }, l.slice(colon + 2))];
    }),
  );
}

/** "slot N: AID hex, class C, issuer I, card digits[, locked]" lines of cards(). */
const CARD_LINE = /^slot (\d+): AID ([0-9A-Fa-f]+), class (\d+), issuer (\d+), card (\w+)(, locked)?$/;

function cardsView(text: string): HTMLElement {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const rows = lines.map((l) => CARD_LINE.exec(l.trim()));
  if (lines.length === 0 || rows.some((m) => m === null)) return h('pre', { class: 'console' }, lines.join('\n') || 'cards() printed nothing');
  return table(
    ['slot', 'card number', 'state', 'class', 'issuer', 'AID'],
    rows.map((m) => [m![1], h('span', { class: 'mono' }, m![5]), m![6] === undefined ? 'active' : 'locked', m![3], m![4], h('span', { class: 'mono' }, m![2])]),
  );
}

function setConnected(on: boolean, note: string): void {
  fill(byId('link'), note);
  byId<HTMLButtonElement>('connect').disabled = on;
  byId<HTMLButtonElement>('refresh').disabled = !on;
  byId<HTMLButtonElement>('disconnect').disabled = !on;
}

async function read(): Promise<void> {
  fill(byId('error'));
  fill(byId('status'), h('p', { class: 'muted' }, 'reading…'));
  fill(byId('cards'), h('p', { class: 'muted' }, 'reading…'));
  try {
    const status = await run('status()');
    fill(byId('status'), statusView(status));
    const device = /^device: (.*)$/m.exec(status);
    setConnected(true, `connected${device === null ? '' : ` · ${device[1]}`}`);
    fill(byId('cards'), cardsView(await run('cards()')));
  } catch (err) {
    fill(byId('error'), (err as Error).message);
    if (!connected()) setConnected(false, 'not connected');
  }
}

async function onConnect(): Promise<void> {
  fill(byId('error'));
  setConnected(false, 'connecting: choose Web Serial, then the port…');
  byId<HTMLButtonElement>('connect').disabled = true;
  try {
    await connect();
  } catch (err) {
    setConnected(false, 'not connected');
    return fill(byId('error'), (err as Error).message);
  }
  setConnected(true, 'connected');
  await read();
}

function start(): void {
  if (!('serial' in navigator)) {
    fill(byId('error'), 'This browser has no Web Serial: use Chrome or Edge, with the page at http://localhost:… or over https.');
    byId<HTMLButtonElement>('connect').disabled = true;
    return;
  }
  byId('connect').addEventListener('click', () => void onConnect());
  byId('refresh').addEventListener('click', () => void read());
  byId('disconnect').addEventListener('click', () => {
    disconnect();
    setConnected(false, 'not connected');
  });
}

start();
