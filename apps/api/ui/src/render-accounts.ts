import { h } from './dom.js';
import { clock, count, disabledReason, fromNow, ofLimit } from './format.js';
import { meter } from './render-pool.js';
import type { AccountView, KeyView, QueueView, StateView } from './view-model.js';

const SOURCE_LABEL: Record<AccountView['source'], string> = {
  upstream: 'account (from OpenRouter)',
  config: 'account (from configuration)',
  key: 'key',
};

export function stateBadge(s: StateView, now: number): HTMLElement {
  // Exhaustion always ends at 00:00 UTC; its title says how far away that is.
  switch (s.kind) {
    case 'active':
      return h('span', { class: 'badge ok' }, 'Active');
    case 'cooling-down':
      return h('span', { class: 'badge warn' }, s.until === null ? 'Cooling down' : `Cooling down until ${clock(s.until)}`);
    case 'exhausted':
      return h('span', { class: 'badge bad', title: `resets ${fromNow(s.until, now)}` }, 'Exhausted until 00:00 UTC');
    case 'disabled':
      return h(
        'span',
        { class: 'state-with-reason' },
        h('span', { class: 'badge off' }, 'Disabled'),
        s.reason ? h('span', { class: 'reason' }, disabledReason(s.reason)) : null,
      );
  }
}

function nextSlot(t: number | null, now: number): string {
  if (t === null) return 'none';
  return t <= now ? 'now' : `${clock(t)} (${fromNow(t, now)})`;
}

function queueText(q: QueueView): string {
  const parts = [`${count(q.waiting)} waiting`, `${count(q.active)} active`];
  if (q.delayed > 0) parts.push(`${count(q.delayed)} delayed`);
  if (q.failed > 0) parts.push(`${count(q.failed)} failed`);
  return parts.join(' · ');
}

function fact(label: string, ...value: (Node | string | null)[]): HTMLElement {
  return h('div', { class: 'fact' }, h('dt', {}, label), h('dd', {}, ...value));
}

function boardLink(k: KeyView): HTMLElement {
  return h('a', { href: k.boardUrl, 'data-focus': `board-${k.id}` }, 'Open queue', h('span', { class: 'sr-only' }, ` of ${k.masked}`));
}

function keyRow(k: KeyView, now: number): HTMLElement {
  return h(
    'tr',
    { 'data-key': k.id },
    h('th', { scope: 'row', 'data-label': 'Key' }, h('code', {}, k.masked)),
    h('td', { 'data-label': 'State' }, stateBadge(k.state, now)),
    h('td', { 'data-label': 'Today' }, ofLimit(k.usedToday, k.limitToday)),
    h('td', { 'data-label': 'This minute' }, ofLimit(k.thisMinute, k.perMinute)),
    h('td', { 'data-label': 'Next free slot' }, nextSlot(k.nextFreeAt, now)),
    h('td', { 'data-label': 'Queue' }, queueText(k.queue)),
    h('td', { 'data-label': 'Bull Board' }, boardLink(k)),
  );
}

function accountCard(a: AccountView, now: number): HTMLElement {
  const upstream = a.upstream
    ? fact('OpenRouter reports', `${ofLimit(a.upstream.used, a.upstream.limit)} today`)
    : null;
  return h(
    'article',
    { class: `account state-${a.state.kind}`, 'data-account': a.id, 'aria-label': `Account ${a.id}` },
    h(
      'header',
      { class: 'account-head' },
      h('h3', {}, h('code', {}, a.id), h('span', { class: 'account-source' }, SOURCE_LABEL[a.source])),
      stateBadge(a.state, now),
    ),
    h(
      'dl',
      { class: 'facts' },
      fact('Used today', ofLimit(a.usedToday, a.limitToday), meter(a.usedToday, a.limitToday, `Account ${a.id}: share of today spent`)),
      fact('Remaining today', a.remainingToday === null ? 'no limit' : count(a.remainingToday)),
      fact('This minute', ofLimit(a.minuteUsed, a.minuteLimit)),
      fact('Next free slot', nextSlot(a.nextFreeAt, now)),
      fact('Queue', queueText(a.queue)),
      upstream,
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'keys-table stack-on-phone' },
        h('caption', { class: 'sr-only' }, `Upstream keys of account ${a.id}`),
        h(
          'thead',
          {},
          h('tr', {}, ...['Key', 'State', 'Today', 'This minute', 'Next free slot', 'Queue', 'Bull Board'].map((c) => h('th', { scope: 'col' }, c))),
        ),
        h('tbody', {}, ...a.keys.map((k) => keyRow(k, now))),
      ),
    ),
  );
}

/** Accounts the server could not group (or every key, on servers without accounts): one row each. */
function standaloneTable(accounts: AccountView[], now: number, grouped: boolean): HTMLElement {
  const rows = accounts.map((a) => {
    const k = a.keys[0];
    return h(
      'tr',
      { 'data-account': a.id, class: `state-${a.state.kind}` },
      h('th', { scope: 'row', 'data-label': 'Key' }, h('code', {}, k?.masked ?? a.id)),
      h('td', { 'data-label': 'State' }, stateBadge(a.state, now)),
      h('td', { 'data-label': 'Used today', class: 'with-meter' }, ofLimit(a.usedToday, a.limitToday), meter(a.usedToday, a.limitToday, `${a.id}: share of today spent`)),
      h('td', { 'data-label': 'Remaining' }, a.remainingToday === null ? 'no limit' : count(a.remainingToday)),
      h('td', { 'data-label': 'This minute' }, ofLimit(a.minuteUsed, a.minuteLimit)),
      h('td', { 'data-label': 'Next free slot' }, nextSlot(a.nextFreeAt, now)),
      h('td', { 'data-label': 'Queue' }, queueText(a.queue)),
      h('td', { 'data-label': 'Bull Board' }, k ? boardLink(k) : '–'),
    );
  });
  return h(
    'div',
    { class: 'account standalone' },
    h(
      'header',
      { class: 'account-head' },
      h('h3', {}, grouped ? 'Keys of unknown accounts' : 'Keys', h('span', { class: 'account-source' }, 'each counts as an account of its own')),
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'keys-table stack-on-phone' },
        h('caption', { class: 'sr-only' }, 'Upstream keys, each its own account'),
        h('thead', {}, h('tr', {}, ...['Key', 'State', 'Used today', 'Remaining', 'This minute', 'Next free slot', 'Queue', 'Bull Board'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...rows),
      ),
    ),
  );
}

export function renderAccounts(accounts: AccountView[], now: number): HTMLElement[] {
  if (accounts.length === 0) return [h('p', { class: 'empty' }, 'No upstream keys are configured.')];
  const grouped = accounts.filter((a) => a.source !== 'key');
  const standalone = accounts.filter((a) => a.source === 'key');
  return [...grouped.map((a) => accountCard(a, now)), standalone.length > 0 ? standaloneTable(standalone, now, grouped.length > 0) : null].filter(
    (x): x is HTMLElement => x !== null,
  );
}
