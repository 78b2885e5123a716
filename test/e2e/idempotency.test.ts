import { afterAll, beforeAll, expect, test } from 'vitest';
import { ownRoot } from '@ork/shared';
import { answerOf, chat, waitFor } from '../support/client.js';
import { parseSse, streamedText } from '../support/sse.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' } });
});
afterAll(async () => {
  await stack?.close();
});

const upstreamCalls = async () => (await stack.sim.records()).filter((r) => r.path.endsWith('completions')).length;

test('a retry with the same Idempotency-Key gets the same answer without a second upstream call', async () => {
  await stack.sim.reset();
  const headers = { 'Idempotency-Key': 'retry-1' };
  const first = await chat(stack.url, 'once only', { headers });
  const second = await chat(stack.url, 'once only', { headers });
  expect(first.status).toBe(200);
  expect(second.body).toEqual(first.body);
  expect(second.headers.get('idempotent-replayed')).toBe('true');
  expect(await upstreamCalls()).toBe(1);
  // Another key is another request.
  expect(answerOf((await chat(stack.url, 'once only', { headers: { 'Idempotency-Key': 'retry-2' } })).body)).toBe('echo: once only');
  expect(await upstreamCalls()).toBe(2);
});

test('concurrent duplicates wait for the first instead of calling upstream again', async () => {
  await stack.sim.reset();
  const headers = { 'Idempotency-Key': 'concurrent-1', 'x-sim-latency-ms': '400' };
  const results = await Promise.all(Array.from({ length: 4 }, () => chat(stack.url, 'together', { headers })));
  for (const r of results) expect(answerOf(r.body)).toBe('echo: together');
  expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
  expect(await upstreamCalls()).toBe(1);
});

test('the same key with a different body is refused with 422', async () => {
  await chat(stack.url, 'original', { headers: { 'Idempotency-Key': 'reuse-1' } });
  const res = await chat(stack.url, 'something else', { headers: { 'Idempotency-Key': 'reuse-1' } });
  expect(res.status).toBe(422);
  expect(res.body.error).toMatchObject({ code: 'idempotency_key_reused' });
});

test('a streamed answer is replayed event for event', async () => {
  await stack.sim.reset();
  const send = () =>
    fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'stream-1' },
      body: JSON.stringify({ model: 'test/echo:free', stream: true, messages: [{ role: 'user', content: 'stream me twice' }] }),
    }).then(async (r) => ({ type: r.headers.get('content-type'), text: await r.text() }));
  const first = await send();
  const second = await send();
  expect(second.type).toContain('text/event-stream');
  expect(parseSse(second.text)).toEqual(parseSse(first.text));
  expect(streamedText(parseSse(second.text).events)).toBe('echo: stream me twice');
  expect(await upstreamCalls()).toBe(1);
});

test('an attempt refused before reaching upstream does not pin the key: the retry runs', async () => {
  const s = await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_DAY: '1' } });
  try {
    expect((await chat(s.url, 'uses the day')).status).toBe(200);
    const refused = await chat(s.url, 'tomorrow', { headers: { 'Idempotency-Key': 'refused-1' } });
    expect(refused.status).toBe(429);
    await waitFor(async () => (await s.redis.keys(`${ownRoot(s.prefix)}:idem:*`)).length === 0, 'the idempotency entry to be released');
  } finally {
    await s.close();
  }
});
