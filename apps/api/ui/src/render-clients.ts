import { h } from './dom.js';
import { ago, count } from './format.js';
import { clientKeySnippets } from './snippets.js';
import type { ClientKeyJson, IssuedClientKeyJson } from './status-json.js';

export interface ClientKeyActions {
  edit(key: ClientKeyJson): void;
  revoke(key: ClientKeyJson): void;
  copy(text: string, button: HTMLButtonElement): void;
}

function usage(u: ClientKeyJson['usage']['today']): HTMLElement {
  const tokens = u.promptTokens + u.completionTokens;
  return h('span', {}, `${count(u.requests)} req`, h('span', { class: 'muted' }, ` · ${count(tokens)} tok`));
}

function row(k: ClientKeyJson, now: number, actions: ClientKeyActions): HTMLElement {
  return h(
    'tr',
    { 'data-client-key': k.id },
    h('th', { scope: 'row', 'data-label': 'Name' }, k.name),
    h('td', { 'data-label': 'Key' }, h('code', {}, k.masked)),
    h('td', { 'data-label': 'Rate limit', 'data-field': 'rate-limit' }, k.rateLimit > 0 ? `${count(k.rateLimit)} / min` : 'no limit'),
    h('td', { 'data-label': 'Today', 'data-field': 'today' }, usage(k.usage.today)),
    h('td', { 'data-label': 'Total', 'data-field': 'total' }, usage(k.usage.total)),
    h('td', { 'data-label': 'Last used' }, k.lastUsedAt ? ago(Date.parse(k.lastUsedAt), now) : 'never'),
    h('td', { 'data-label': 'State' }, k.active ? h('span', { class: 'badge ok' }, 'Active') : h('span', { class: 'badge off' }, 'Paused')),
    h(
      'td',
      { class: 'actions', 'data-label': 'Actions' },
      h('button', { type: 'button', class: 'btn', 'data-focus': `edit-${k.id}`, onclick: () => actions.edit(k) }, 'Edit', h('span', { class: 'sr-only' }, ` ${k.name}`)),
      h('button', { type: 'button', class: 'btn danger', 'data-focus': `revoke-${k.id}`, onclick: () => actions.revoke(k) }, 'Revoke', h('span', { class: 'sr-only' }, ` ${k.name}`)),
    ),
  );
}

export function renderClientKeys(keys: ClientKeyJson[], now: number, actions: ClientKeyActions): HTMLElement[] {
  if (keys.length === 0) return [h('p', { class: 'empty' }, 'No client keys yet. Create one above to hand to n8n or an OpenAI SDK.')];
  return [
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'clients-table stack-on-phone' },
        h('caption', { class: 'sr-only' }, 'Client keys'),
        h('thead', {}, h('tr', {}, ...['Name', 'Key', 'Rate limit', 'Today', 'Total', 'Last used', 'State', ''].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...keys.map((k) => row(k, now, actions))),
      ),
    ),
  ];
}

function copyBlock(id: string, title: string, text: string, actions: ClientKeyActions): HTMLElement {
  const button = h('button', { type: 'button', class: 'btn copy', 'data-copy': id }, 'Copy');
  button.addEventListener('click', () => actions.copy(text, button));
  return h(
    'figure',
    { class: 'snippet' },
    h('figcaption', {}, h('span', {}, title), button),
    h('pre', {}, h('code', {}, text)),
  );
}

/** The new key, shown this once, with what to paste into the SDKs and n8n. */
export function renderIssuedKey(issued: IssuedClientKeyJson, baseUrl: string, actions: ClientKeyActions, dismiss: () => void): HTMLElement[] {
  const keyButton = h('button', { type: 'button', class: 'btn primary', 'data-copy': 'key', id: 'copy-new-key' }, 'Copy key');
  keyButton.addEventListener('click', () => actions.copy(issued.key, keyButton));
  return [
    h(
      'div',
      { class: 'issued-head' },
      h('h3', { id: 'issued-title', tabindex: -1 }, `New client key “${issued.name}”`),
      h('p', {}, 'Copy it now: it is shown only this once. The service keeps only its hash.'),
    ),
    h('div', { class: 'issued-key' }, h('code', { id: 'new-key' }, issued.key), keyButton),
    h('div', { class: 'snippets' }, ...clientKeySnippets(baseUrl, issued.key).map((s) => copyBlock(s.id, s.title, s.text, actions))),
    h('div', { class: 'issued-foot' }, h('button', { type: 'button', class: 'btn', id: 'dismiss-issued', onclick: dismiss }, 'I have stored it — hide the key')),
  ];
}
