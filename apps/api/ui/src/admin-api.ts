import type { ClientKeyJson, ErrorJson, IssuedClientKeyJson, StatusJson } from './status-json.js';

/** An admin API answer that was not 2xx, with the OpenAI-style message the server gave. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers = { ...init.headers, 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const json = (await res.json().catch(() => ({}))) as unknown;
  if (!res.ok) {
    const message = (json as ErrorJson).error?.message ?? `${method} ${path} answered ${res.status}`;
    throw new AdminApiError(res.status, message);
  }
  return json as T;
}

/** The admin routes the page uses; the same ones scripts use. */
export const adminApi = {
  status: () => call<StatusJson>('GET', '/api/status'),
  listClientKeys: async () => (await call<{ keys: ClientKeyJson[] }>('GET', '/api/keys')).keys,
  createClientKey: (name: string, rateLimit: number) => call<IssuedClientKeyJson>('POST', '/api/keys', { name, rateLimit }),
  updateClientKey: (id: string, patch: { name?: string; rateLimit?: number; active?: boolean }) =>
    call<ClientKeyJson>('PATCH', `/api/keys/${encodeURIComponent(id)}`, patch),
  revokeClientKey: (id: string) => call<{ deleted: boolean }>('DELETE', `/api/keys/${encodeURIComponent(id)}`),
};
