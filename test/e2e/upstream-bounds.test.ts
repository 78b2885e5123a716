import { afterEach, expect, test } from 'vitest';
import { chat } from '../support/client.js';
import { parseSse } from '../support/sse.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const open = { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' };

test('an upstream that sends no headers within UPSTREAM_HEADERS_TIMEOUT_MS gets a 504 that says so', async () => {
  stack = await startStack({ keys: 1, env: { ...open, UPSTREAM_HEADERS_TIMEOUT_MS: '300' }, simulatorEnv: { SIM_LATENCY_MS: '5000' } });
  const res = await chat(stack.url, 'stalled');
  expect(res.status).toBe(504);
  expect(res.body.error).toMatchObject({ code: 'upstream_timeout' });
  expect(String((res.body.error as { message: string }).message)).toContain('UPSTREAM_HEADERS_TIMEOUT_MS (300 ms)');
});

test('a stream that goes silent for UPSTREAM_IDLE_TIMEOUT_MS ends with an error chunk that says so', async () => {
  stack = await startStack({ keys: 1, env: { ...open, UPSTREAM_IDLE_TIMEOUT_MS: '300' }, simulatorEnv: { SIM_CHUNK_DELAY_MS: '5000' } });
  const res = await fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'a b c d' }] }),
  });
  const events = parseSse(await res.text()).events as { error?: { message: string; code: number } }[];
  const last = events.at(-1);
  expect(last?.error?.message).toContain('UPSTREAM_IDLE_TIMEOUT_MS (300 ms)');
  expect(last?.error?.code).toBe(504);
});

test('an answer larger than UPSTREAM_MAX_RESPONSE_BYTES is cut off with a clear 502', async () => {
  stack = await startStack({ keys: 1, env: { ...open, UPSTREAM_MAX_RESPONSE_BYTES: '4000' } });
  const res = await chat(stack.url, 'word '.repeat(2000));
  expect(res.status).toBe(502);
  expect(res.body.error).toMatchObject({ code: 'upstream_response_too_large' });
  expect(String((res.body.error as { message: string }).message)).toContain('UPSTREAM_MAX_RESPONSE_BYTES (4000 bytes)');
  // A small one still passes, through the same worker.
  expect((await chat(stack.url, 'small')).status).toBe(200);
});
