import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import type { SimRecord } from '@ork/simulator';
import { RedisKeys, SLOT_HORIZON_MS } from '@ork/shared';
import { chat, waitFor } from '../support/client.js';
import { expectWithinLimits } from '../support/limits.js';
import { startStack, type Stack } from '../support/stack.js';
import { issueKey } from './admin-helpers.js';

const MODEL = 'meta-llama/llama-4-maverick:free';
let stack: Stack | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  receiver = undefined;
});

const completions = (records: SimRecord[]): SimRecord[] => records.filter((r) => r.path.endsWith('/chat/completions'));
const contentOf = (r: SimRecord): string => (r.body as { messages: { content: string }[] }).messages[0]!.content;

interface Json {
  status: number;
  body: Record<string, unknown>;
}

async function call(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<Json> {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const job = (content: string, extra: Record<string, unknown> = {}) => ({ model: MODEL, messages: [{ role: 'user', content }], ...extra });

/** A receiver that answers 500 to the first `failures` POSTs, then 200; keeps every raw body and signature. */
async function startReceiver(failures: number): Promise<{ url: string; got: { raw: string; signature: string }[] }> {
  const got: { raw: string; signature: string }[] = [];
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ raw: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['x-signature-256']) });
      res.statusCode = got.length <= failures ? 500 : 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, got };
}

/** What a receiver does with the documented header: HMAC-SHA256 of the raw body, compared in constant time. */
function verify(secret: string, raw: string, header: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

test('an async job answers 202 at once, runs in the background and delivers a signed callback to a receiver that fails twice', async () => {
  const secret = 'callback-secret-for-tests';
  stack = await startStack({
    keys: 1,
    env: { KEY_MIN_INTERVAL_MS: '100', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0', CALLBACK_SECRET: secret, CALLBACK_RETRY_BASE_MS: '100' },
  });
  const s = stack;
  const hook = await startReceiver(2);
  const accepted = await call(`${s.url}/v1/async/chat/completions`, 'POST', job('later', { callback_url: hook.url }));
  expect(accepted.status).toBe(202);
  expect(accepted.body).toMatchObject({ object: 'async.job', status: 'queued', position: 1 });
  expect(typeof accepted.body.estimated_start).toBe('number');
  const id = String(accepted.body.id);

  await waitFor(() => hook.got.length >= 3, 'three callback tries', 20_000);
  for (const g of hook.got) expect(verify(secret, g.raw, g.signature)).toBe(true);
  expect(verify('another-secret', hook.got[0]!.raw, hook.got[0]!.signature)).toBe(false);
  const delivered = JSON.parse(hook.got[2]!.raw) as { id: string; status: string; response: { status_code: number; body: { choices: { message: { content: string } }[] } } };
  expect(delivered).toMatchObject({ id, status: 'completed', response: { status_code: 200 } });
  expect(delivered.response.body.choices[0]?.message.content).toBe('echo: later');

  const polled = await waitFor(async () => {
    const r = await call(`${s.url}/v1/async/jobs/${id}`, 'GET');
    return (r.body.callback as { status: string } | null)?.status === 'delivered' ? r : undefined;
  }, 'the callback to be marked delivered', 10_000);
  expect(polled.body).toMatchObject({ status: 'completed', callback: { url: hook.url, attempts: 3 } });
  // Upstream saw the request once, without our callback_url.
  const records = completions(await s.sim.records());
  expect(records).toHaveLength(1);
  expect((records[0]!.body as Record<string, unknown>).callback_url).toBeUndefined();
  expectWithinLimits(records, { minIntervalMs: 100 }, s.keys);
});

test('async jobs are the caller’s own: listed, cancelled while waiting (never sent upstream), invisible to another client', async () => {
  stack = await startStack({
    keys: 1,
    env: { API_KEY_AUTH_ENABLED: 'true', KEY_MIN_INTERVAL_MS: '400', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0', BACKGROUND_DISPATCH_AHEAD_MS: '300' },
  });
  const s = stack;
  const alice = { authorization: `Bearer ${(await issueKey(s.url, { name: 'alice' })).key}` };
  const bob = { authorization: `Bearer ${(await issueKey(s.url, { name: 'bob' })).key}` };
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push(String((await call(`${s.url}/v1/async/chat/completions`, 'POST', job(`a${i}`), alice)).body.id));
  const cancelled = await call(`${s.url}/v1/async/jobs/${ids[3]}`, 'DELETE', undefined, alice);
  expect(cancelled.body).toMatchObject({ id: ids[3], status: 'cancelled' });

  expect((await call(`${s.url}/v1/async/jobs/${ids[0]}`, 'GET', undefined, bob)).status).toBe(404);
  expect((await call(`${s.url}/v1/async/jobs/${ids[0]}`, 'DELETE', undefined, bob)).status).toBe(404);
  expect((await call(`${s.url}/v1/async/jobs`, 'GET', undefined, bob)).body).toEqual({ object: 'list', data: [] });
  const listed = (await call(`${s.url}/v1/async/jobs`, 'GET', undefined, alice)).body.data as { id: string }[];
  expect(listed.map((j) => j.id).sort()).toEqual([...ids].sort());

  await waitFor(async () => {
    const states = await Promise.all(ids.slice(0, 3).map(async (id) => (await call(`${s.url}/v1/async/jobs/${id}`, 'GET', undefined, alice)).body.status));
    return states.every((st) => st === 'completed');
  }, 'the three others to complete', 20_000);
  const records = completions(await s.sim.records());
  expect(records.map(contentOf).sort()).toEqual(['a0', 'a1', 'a2']);
  expectWithinLimits(records, { minIntervalMs: 400 }, s.keys);

  // A callback needs CALLBACK_SECRET; bad bodies are refused before they queue.
  expect((await call(`${s.url}/v1/async/chat/completions`, 'POST', job('x', { callback_url: 'http://127.0.0.1:9/h' }), alice)).body).toMatchObject({ error: { code: 'callbacks_disabled' } });
  expect((await call(`${s.url}/v1/async/chat/completions`, 'POST', { model: MODEL }, alice)).status).toBe(400);
  expect((await call(`${s.url}/v1/async/chat/completions`, 'POST', job('x', { stream: true }), alice)).status).toBe(400);
});

test('fair share: while one client floods the pool with a batch, another client’s background request starts within the stated bound, and its synchronous requests go first', async () => {
  const SPACING = 150;
  const AHEAD = 450;
  stack = await startStack({
    keys: 1,
    env: {
      API_KEY_AUTH_ENABLED: 'true',
      KEY_MIN_INTERVAL_MS: String(SPACING),
      KEY_REQUESTS_PER_MINUTE: '0',
      KEY_REQUESTS_PER_DAY: '0',
      BACKGROUND_DISPATCH_AHEAD_MS: String(AHEAD),
    },
  });
  const s = stack;
  const flooder = { authorization: `Bearer ${(await issueKey(s.url, { name: 'flooder' })).key}` };
  const other = { authorization: `Bearer ${(await issueKey(s.url, { name: 'other' })).key}` };
  const lines = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({ custom_id: `f${i}`, method: 'POST', url: '/v1/chat/completions', body: job(`flood ${i}`) }),
  );
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([`${lines.join('\n')}\n`]), 'flood.jsonl');
  const file = (await (await fetch(`${s.url}/v1/files`, { method: 'POST', headers: flooder, body: form })).json()) as { id: string };
  const batch = await call(`${s.url}/v1/batches`, 'POST', { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }, flooder);
  expect(batch.status).toBe(200);
  await waitFor(async () => completions(await s.sim.records()).length >= 3, 'the flood to be under way', 20_000);

  const submittedAt = Date.now();
  const accepted = await call(`${s.url}/v1/async/chat/completions`, 'POST', job('other background'), other);
  expect(accepted.status).toBe(202);
  const sync = await chat(s.url, 'other sync', { headers: other });
  expect(sync.status).toBe(200);
  await waitFor(async () => completions(await s.sim.records()).some((r) => contentOf(r) === 'other background'), 'the other client’s job to run', 20_000);

  const records = completions(await s.sim.records());
  const after = records.filter((r) => r.receivedAtMs >= submittedAt);
  const floodBefore = (content: string): number => after.slice(0, after.findIndex((r) => contentOf(r) === content)).filter((r) => contentOf(r).startsWith('flood')).length;
  // Bound: what the dispatcher had already moved into the key queue (AHEAD / SPACING, plus the
  // one being started) runs first, then round-robin serves the other client next: 2 + AHEAD / SPACING.
  expect(floodBefore('other background')).toBeLessThanOrEqual(2 + Math.ceil(AHEAD / SPACING));
  // A synchronous request passes every flood job still queued, but not those a worker already holds
  // for a slot within SLOT_HORIZON_MS (plus one that was on its way as the request came in).
  expect(floodBefore('other sync')).toBeLessThanOrEqual(1 + Math.ceil(SLOT_HORIZON_MS / SPACING));
  // The flood still has work left: the other client did not wait for it to finish.
  expect(records.filter((r) => contentOf(r).startsWith('flood')).length).toBeLessThan(40);
  expectWithinLimits(records, { minIntervalMs: SPACING }, s.keys);
});

test('results are kept BACKGROUND_RESULT_TTL_SECONDS, then gone: every background key expires, no prompt outlives its run', async () => {
  stack = await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0', BACKGROUND_RESULT_TTL_SECONDS: '3' } });
  const s = stack;
  const id = String((await call(`${s.url}/v1/async/chat/completions`, 'POST', job('kept briefly'))).body.id);
  const form = new FormData();
  form.append('purpose', 'batch');
  const lines = ['a', 'b'].map((c) => JSON.stringify({ custom_id: c, method: 'POST', url: '/v1/chat/completions', body: job(`line ${c}`) }));
  form.append('file', new Blob([lines.join('\n')]), 'in.jsonl');
  const file = (await (await fetch(`${s.url}/v1/files`, { method: 'POST', body: form })).json()) as { id: string };
  const batchId = String((await call(`${s.url}/v1/batches`, 'POST', { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).body.id);
  const done = await waitFor(async () => {
    const b = await call(`${s.url}/v1/batches/${batchId}`, 'GET');
    const j = await call(`${s.url}/v1/async/jobs/${id}`, 'GET');
    return b.body.status === 'completed' && j.body.status === 'completed' ? b : undefined;
  }, 'both to finish', 10_000);
  const outputId = String(done.body.output_file_id);

  const root = new RedisKeys(s.prefix).root;
  const bgKeys = await s.redis.keys(`${root}:bg:*`);
  const structural = ['clients', 'inflight', 'callbacks', 'dispatch-lock', 'blocked-until'].map((n) => `${root}:bg:${n}`);
  for (const key of bgKeys.filter((k) => !structural.includes(k))) {
    const ttl = await s.redis.ttl(key);
    expect(ttl, key).toBeGreaterThan(0);
    // The per-client indexes hold ids only (pruned as they are read) and live as long as a job may wait.
    if (key.includes(':bg:async-jobs:') || key.includes(':bg:batches:')) continue;
    // The input file was uploaded a moment before: it too ends within the retention.
    expect(ttl, key).toBeLessThanOrEqual(3);
  }
  for (const key of bgKeys.filter((k) => k.includes(':bg:item:'))) expect(await s.redis.hget(key, 'request'), key).toBe('');

  await waitFor(async () => (await call(`${s.url}/v1/async/jobs/${id}`, 'GET')).status === 404, 'the async result to expire', 10_000);
  await waitFor(async () => (await call(`${s.url}/v1/batches/${batchId}`, 'GET')).status === 404, 'the batch to expire', 10_000);
  expect((await fetch(`${s.url}/v1/files/${outputId}/content`)).status).toBe(404);
});
