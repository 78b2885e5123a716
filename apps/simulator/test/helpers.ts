import type { SimRecord } from '../src/index.js';

export const KEY_A = 'sk-or-v1-aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001';
export const KEY_B = 'sk-or-v1-bbbbbbbbbbbbbbbbbbbbbbbbbbbb0002';
export const KEY_C = 'sk-or-v1-cccccccccccccccccccccccccccc0003';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function post(
  base: string,
  path: string,
  body: unknown,
  opts: { key?: string | null; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
  const key = opts.key === undefined ? KEY_A : opts.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const init: RequestInit = { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
  if (opts.signal) init.signal = opts.signal;
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function get(base: string, path: string, key: string | null = KEY_A): Promise<Reply> {
  const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
  const res = await fetch(`${base}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) as unknown };
}

export function chat(content: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'meta-llama/llama-4-maverick:free', messages: [{ role: 'user', content }], ...extra };
}

/** Polls a condition on the event loop instead of sleeping a guessed amount. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error('waitFor timed out');
    await new Promise((r) => setImmediate(r));
  }
}

/** SSE text -> comment lines and parsed data payloads, in order. */
export function parseSse(text: string): { comments: string[]; events: Array<unknown>; done: boolean; order: string[] } {
  const comments: string[] = [];
  const events: unknown[] = [];
  const order: string[] = [];
  let done = false;
  for (const block of text.split('\n\n')) {
    if (block === '') continue;
    if (block.startsWith(':')) {
      comments.push(block);
      order.push('comment');
    } else if (block === 'data: [DONE]') {
      done = true;
      order.push('done');
    } else if (block.startsWith('data: ')) {
      events.push(JSON.parse(block.slice(6)));
      order.push('data');
    } else throw new Error(`unexpected SSE block ${JSON.stringify(block)}`);
  }
  return { comments, events, done, order };
}

export function completionRecords(records: SimRecord[]): SimRecord[] {
  return records.filter((r) => r.path.endsWith('/completions'));
}
