import { afterEach, expect, test } from 'vitest';
import type { SimRecord } from '@ork/simulator';
import { answerOf, chat, waitFor } from '../support/client.js';
import { expectWithinLimits } from '../support/limits.js';
import { idle, readStatus } from '../support/status.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const LIMITS = { minIntervalMs: 100, perMinute: 4, perDay: 4 };
const completions = (records: SimRecord[]): SimRecord[] => records.filter((r) => r.path.endsWith('/chat/completions'));

test('retries and reroutes with spacing, minute and day on: every retry is a start, and starts never exceed any limit', async () => {
  stack = await startStack({
    keys: 3,
    env: {
      KEY_MIN_INTERVAL_MS: String(LIMITS.minIntervalMs),
      KEY_REQUESTS_PER_MINUTE: String(LIMITS.perMinute),
      KEY_REQUESTS_PER_DAY: String(LIMITS.perDay),
      // A retry that could only start after the minute slides is not worth waiting for.
      QUEUE_TIMEOUT_MS: '8000',
    },
  });
  const s = stack;
  // The first four requests to reach upstream fail with a retryable 502.
  const fault = { status: 502, body: { error: { message: 'upstream broke', code: 502 } } };
  await s.sim.configure({ faults: [{ ...fault, times: 4 }] });
  const contents = Array.from({ length: 10 }, (_, i) => `retry ${i}`);
  const results = await Promise.all(contents.map((c) => chat(s.url, c)));

  // 3 keys x 4 starts is all there is (today and this minute); 10 requests + 4 retries want 14.
  const records = completions(await s.sim.records());
  expect(records).toHaveLength(3 * LIMITS.perMinute);
  expect(records.filter((r) => r.status === 502)).toHaveLength(4);
  expectWithinLimits(records, LIMITS, s.keys);
  // Every start that did not fail answered one request; the requests whose retry found no start get the 502.
  const ok = results.filter((r) => r.status === 200);
  expect(ok).toHaveLength(3 * LIMITS.perMinute - 4);
  results.forEach((r, i) => {
    if (r.status === 200) expect(answerOf(r.body)).toBe(`echo: ${contents[i]}`);
    else expect(r.body).toEqual(fault.body);
  });
  const status = await readStatus(s.url);
  expect(status.keys.map((k) => k.today.started)).toEqual([LIMITS.perDay, LIMITS.perDay, LIMITS.perDay]);
  await waitFor(async () => idle(await readStatus(s.url)), 'every queue to be empty');
});
