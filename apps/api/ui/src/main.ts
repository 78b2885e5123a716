import { AdminApiError, adminApi } from './admin-api.js';
import { byId, replaceContent } from './dom.js';
import { clock } from './format.js';
import { renderAccounts } from './render-accounts.js';
import { renderClientKeys, renderIssuedKey, type ClientKeyActions } from './render-clients.js';
import { renderPool } from './render-pool.js';
import type { ClientKeyJson } from './status-json.js';
import { buildDashboardView, type DashboardView } from './view-model.js';

/** How often the page asks for fresh figures while visible; slower in a background tab. */
const POLL_MS = 2_000;
const HIDDEN_POLL_MS = 15_000;

const live = byId('live');
const poolBody = byId('pool-body');
const accountsBody = byId('accounts-body');
const clientsBody = byId('clients-body');
const clientsNote = byId('clients-note');
const issued = byId('issued');
const createForm = byId<HTMLFormElement>('create-form');
const createError = byId('create-error');
const editDialog = byId<HTMLDialogElement>('edit-dialog');
const editForm = byId<HTMLFormElement>('edit-form');
const editError = byId('edit-error');
const revokeDialog = byId<HTMLDialogElement>('revoke-dialog');
const revokeText = byId('revoke-text');
const revokeError = byId('revoke-error');

let view: DashboardView | undefined;
let clientKeys: ClientKeyJson[] = [];
let clockSkew = 0;
let editing: ClientKeyJson | undefined;
let revoking: ClientKeyJson | undefined;
let timer: number | undefined;

const field = (data: FormData, name: string): string => {
  const v = data.get(name);
  return typeof v === 'string' ? v.trim() : '';
};
const serverNow = (): number => Date.now() + clockSkew;
const message = (err: unknown): string => (err instanceof AdminApiError || err instanceof Error ? err.message : String(err));
/** The OpenAI-compatible base URL clients should use: this service, under /v1. */
const baseUrl = (): string => `${window.location.origin}/v1`;

async function copy(text: string, button: HTMLButtonElement): Promise<void> {
  const label = button.textContent ?? 'Copy';
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    // Plain http on another host is not a secure context: no clipboard API there.
    button.textContent = 'Select and copy by hand';
  }
  window.setTimeout(() => (button.textContent = label), 2_000);
}

const actions: ClientKeyActions = {
  edit(key) {
    editing = key;
    (editForm.elements.namedItem('name') as HTMLInputElement).value = key.name;
    (editForm.elements.namedItem('rateLimit') as HTMLInputElement).value = String(key.rateLimit);
    editError.textContent = '';
    editDialog.showModal();
  },
  revoke(key) {
    revoking = key;
    revokeText.textContent = `Revoke “${key.name}” (${key.masked})? Requests presenting it are refused at once; this cannot be undone.`;
    revokeError.textContent = '';
    revokeDialog.showModal();
  },
  copy: (text, button) => void copy(text, button),
};

function render(): void {
  const now = serverNow();
  if (view) {
    replaceContent(poolBody, renderPool(view.pool, now));
    replaceContent(accountsBody, renderAccounts(view.accounts, now));
  }
  replaceContent(clientsBody, renderClientKeys(clientKeys, now, actions));
}

async function refresh(): Promise<void> {
  try {
    const [status, keys] = await Promise.all([adminApi.status(), adminApi.listClientKeys()]);
    view = buildDashboardView(status);
    clientKeys = keys;
    clockSkew = view.serverTime - Date.now();
    clientsNote.hidden = status.clients?.required !== false;
    live.textContent = `Live · updated ${clock(view.serverTime)}`;
    live.className = 'live ok';
    render();
  } catch (err) {
    live.textContent = `Not updating: ${message(err)} — retrying`;
    live.className = 'live bad';
  }
}

function schedule(): void {
  window.clearTimeout(timer);
  timer = window.setTimeout(() => void refresh().finally(schedule), document.hidden ? HIDDEN_POLL_MS : POLL_MS);
}

createForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const data = new FormData(createForm);
  const name = field(data, 'name');
  const rateLimit = Number(field(data, 'rateLimit')) || 0;
  createError.textContent = '';
  const submit = createForm.querySelector('button[type=submit]') as HTMLButtonElement;
  submit.disabled = true;
  adminApi
    .createClientKey(name, rateLimit)
    .then(async (key) => {
      createForm.reset();
      replaceContent(issued, renderIssuedKey(key, baseUrl(), actions, () => {
        issued.replaceChildren();
        issued.hidden = true;
        createForm.querySelector<HTMLInputElement>('input[name=name]')?.focus();
      }));
      issued.hidden = false;
      byId('issued-title').focus();
      await refresh();
    })
    .catch((err: unknown) => (createError.textContent = message(err)))
    .finally(() => (submit.disabled = false));
});

editForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (!editing) return;
  const data = new FormData(editForm);
  const patch = { name: field(data, 'name'), rateLimit: Number(field(data, 'rateLimit')) || 0 };
  adminApi
    .updateClientKey(editing.id, patch)
    .then(async () => {
      editDialog.close();
      await refresh();
    })
    .catch((err: unknown) => (editError.textContent = message(err)));
});

byId('revoke-confirm').addEventListener('click', () => {
  if (!revoking) return;
  adminApi
    .revokeClientKey(revoking.id)
    .then(async () => {
      // Its row is about to go: focus moves to the form instead.
      revoking = undefined;
      revokeDialog.close();
      await refresh();
    })
    .catch((err: unknown) => (revokeError.textContent = message(err)));
});
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-close]')) {
  button.addEventListener('click', () => button.closest('dialog')?.close());
}
// Live updates replace the row a dialog was opened from; give focus back to its new button.
editDialog.addEventListener('close', () => refocus(editing ? `edit-${editing.id}` : undefined));
revokeDialog.addEventListener('close', () => refocus(revoking ? `revoke-${revoking.id}` : undefined));
function refocus(focusKey: string | undefined): void {
  const target = focusKey ? clientsBody.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focusKey)}"]`) : null;
  (target ?? byId('new-name')).focus();
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void refresh().finally(schedule);
});

void refresh().finally(schedule);
