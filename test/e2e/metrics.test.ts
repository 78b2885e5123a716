import { afterAll, beforeAll, expect, test } from 'vitest';
import { upstreamKeyId } from '@ork/shared';
import { answerOf, chat, waitFor } from '../support/client.js';
import { parsePrometheus, type Exposition } from '../support/prometheus.js';
import { fakeKey, startStack, type Stack } from '../support/stack.js';

// The workers run in their own process: their counters must reach the API's /metrics through Redis.
let stack: Stack;
const [a, b] = [fakeKey(), fakeKey()];
beforeAll(async () => {
  stack = await startStack({
    keys: [a, b],
    workerProcesses: 1,
    env: { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0', API_KEY_AUTH_ENABLED: 'true' },
  });
});
afterAll(async () => {
  await stack?.close();
});

async function scrape(): Promise<Exposition> {
  const res = await fetch(`${stack.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

async function issueKey(body: object): Promise<{ id: string; key: string }> {
  const res = await fetch(`${stack.url}/api/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

test('/metrics is Prometheus text whose counters move as requests flow, workers in another process included', async () => {
  const before = await scrape();
  expect(before.types.get('ork_http_requests_total')).toBe('counter');
  expect(before.types.get('ork_upstream_duration_seconds')).toBe('histogram');
  expect(before.types.get('ork_queue_jobs')).toBe('gauge');
  expect(before.find('process_cpu_user_seconds_total')).toHaveLength(1);
  // Queue depth per key queue, from the first scrape on.
  for (const key of [a, b]) expect(before.find('ork_queue_jobs', { key_id: upstreamKeyId(key), state: 'waiting' })).toHaveLength(1);

  const client = await issueKey({ name: 'metrics' });
  const auth = { authorization: `Bearer ${client.key}` };
  // Key a answers one per-minute 429: it cools down and its request moves to key b. The reset is
  // near, so a request that key a's worker had already taken waits seconds for it, not a minute.
  const headers = { 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(Date.now() + 3_000) };
  await stack.sim.configure({
    faults: [{ key: a, status: 429, times: 1, body: { error: { message: 'Rate limit exceeded: free-models-per-min.', code: 429, metadata: { headers } } } }],
  });
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => chat(stack.url, `metrics ${i}`, { headers: auth })));
  results.forEach((r, i) => expect(answerOf(r.body)).toBe(`echo: metrics ${i}`));

  const route = { route: '/v1/chat/completions', method: 'POST', status: '200', client_key_id: client.id };
  const after = await waitFor(async () => {
    const m = await scrape();
    const done = m.sum('ork_http_requests_total', route) === 6 && m.sum('ork_upstream_requests_total', { outcome: 'ok' }) === 6;
    return done && m.sum('ork_key_limit_events_total', { event: 'reroute' }) >= 1 ? m : undefined;
  }, 'the counters of six answered requests', 20_000);

  const keyA = upstreamKeyId(a);
  expect(after.sum('ork_upstream_requests_total', { key_id: keyA, outcome: 'rate-limited', status: '429' })).toBe(1);
  expect(after.sum('ork_key_limit_events_total', { key_id: keyA, event: 'cooldown' })).toBe(1);
  // Exactly one state per key is 1.
  for (const key of [a, b]) expect(after.sum('ork_key_state', { key_id: upstreamKeyId(key) })).toBe(1);
  expect(after.sum('ork_tokens_total', { kind: 'completion' })).toBeGreaterThan(0);
  expect(after.sum('ork_tokens_total', { kind: 'prompt' })).toBeGreaterThan(0);
  // Histograms: one observation per upstream call (seven: the 429 included), buckets cumulative up to +Inf = count.
  expect(after.sum('ork_upstream_duration_seconds_count')).toBe(7);
  expect(after.sum('ork_queue_wait_seconds_count')).toBe(7);
  for (const key of [a, b]) {
    const id = upstreamKeyId(key);
    const buckets = after.find('ork_upstream_duration_seconds_bucket', { key_id: id }).map((s) => s.value);
    expect(buckets).toEqual([...buckets].sort((x, y) => x - y));
    expect(after.find('ork_upstream_duration_seconds_bucket', { key_id: id, le: '+Inf' })[0]?.value).toBe(
      after.sum('ork_upstream_duration_seconds_count', { key_id: id }),
    );
  }
  // Never a key in the exposition: ids and masks only.
  const text = await (await fetch(`${stack.url}/metrics`)).text();
  for (const secret of [a, b, client.key]) expect(text).not.toContain(secret.slice(9, 30));
});

test("the gateway's own 429s are counted as refusals by reason", async () => {
  const limited = await issueKey({ name: 'limited', rateLimit: 1 });
  const auth = { authorization: `Bearer ${limited.key}` };
  expect((await chat(stack.url, 'first', { headers: auth })).status).toBe(200);
  expect((await chat(stack.url, 'second', { headers: auth })).status).toBe(429);
  await waitFor(async () => {
    const m = await scrape();
    return m.sum('ork_refusals_total', { reason: 'client_rate_limit_exceeded' }) === 1 &&
      m.sum('ork_http_requests_total', { status: '429', client_key_id: '-' }) === 1;
  }, 'the refusal to be counted');
});

test('/metrics is on the admin surface: a relayed (non-local) caller is refused', async () => {
  const res = await fetch(`${stack.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
  expect(res.status).toBe(403);
});

test('one log line per request with request id, client key id, upstream key id and status, queue wait, duration', async () => {
  const client = await issueKey({ name: 'logged' });
  const res = await fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': client.key, 'x-request-id': 'log-line-check' },
    body: JSON.stringify({ model: 'test/echo:free', messages: [{ role: 'user', content: 'log me' }] }),
  });
  expect(res.status).toBe(200);
  const line = await waitFor(
    () =>
      stack
        .logs()
        .split('\n')
        .filter((l) => l.includes('"log-line-check"') && l.includes('"request completed"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)[0],
    'the request log line',
  );
  expect(line).toMatchObject({
    req: { id: 'log-line-check', method: 'POST', path: '/v1/chat/completions' },
    res: { status: 200 },
    clientKeyId: client.id,
    upstreamStatus: 200,
  });
  expect([upstreamKeyId(a), upstreamKeyId(b)]).toContain(line.upstreamKeyId);
  expect(typeof line.queueWaitMs).toBe('number');
  expect(typeof line.responseTime).toBe('number');
});
