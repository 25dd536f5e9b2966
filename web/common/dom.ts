/** Tiny DOM helpers for the pages: build elements from data (text only, never HTML strings). */

type Child = Node | string | number | null | undefined | false;

/** h('td', {class: 'num'}, '1.00') -> <td class="num">1.00</td>; children as text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | ((e: Event) => void)> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false) el.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page has no #${id}`);
  return el as T;
}

/** Replaces a container's content. */
export function fill(el: HTMLElement, ...children: Child[]): void {
  el.replaceChildren();
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
}

/** A table with a header row; rows of cells. */
export function table(head: string[], rows: Child[][], empty = 'none'): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted' }, empty);
  return h(
    'div',
    { class: 'scroll' },
    h('table', {}, h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))), h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c)))))),
  );
}

/** Minor units (fen) as yuan with two decimals. */
export function money(minor: number | null | undefined): string {
  if (minor === null || minor === undefined) return '-';
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** A progress bar with its text, e.g. 12/16. */
export function progress(done: number, total: number | null): HTMLElement {
  const bar = h('progress', { max: String(total ?? 1), value: String(total === null ? 0 : Math.min(done, total)) });
  return h('span', { class: 'progress' }, bar, ` ${total === null ? '' : `${done}/${total}`}`);
}
