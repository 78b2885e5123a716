import { afterAll, beforeAll, expect, test } from 'vitest';
import { BACKGROUND_REPLY_TO, RedisKeys, ownRoot } from '@ork/shared';
import { answerOf, chat, waitFor } from '../support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { workersThatRan } from '../support/workers-that-ran.js';
import { expectWithinLimits } from '../support/limits.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    keys: 3,
    apiProcesses: 2,
    workerProcesses: 2,
    // Finished jobs are kept so the test can see which worker process ran each (none by default).
    env: { KEY_MIN_INTERVAL_MS: '120', KEY_REQUESTS_PER_MINUTE: '25', KEY_REQUESTS_PER_DAY: '0', JOB_RETENTION_SECONDS: '600' },
  });
});
afterAll(async () => {
  await stack?.close();
});

test('two API and two worker processes on one Redis never push a key past its spacing or minute', async () => {
  const n = 72;
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => chat(stack.apiUrls[i % 2]!, `multi ${i}`)),
  );
  results.forEach((r, i) => {
    expect(r.status).toBe(200);
    expect(answerOf(r.body)).toBe(`echo: multi ${i}`);
  });
  const records = (await stack.sim.records()).filter((r) => r.path.endsWith('/chat/completions'));
  expect(records).toHaveLength(n);
  expectWithinLimits(records, { minIntervalMs: 120, perMinute: 25 }, stack.keys);
  // Both worker processes did part of the work.
  expect((await workersThatRan(stack)).size).toBe(2);
  // The answers crossed processes on each API process's own reply stream, trimmed once read.
  // (The background service's stream, for async and batch work, is not an API process's.)
  const background = new RedisKeys(stack.prefix).replies(BACKGROUND_REPLY_TO);
  const streams = (await stack.redis.keys(`${ownRoot(stack.prefix)}:replies:*`)).filter((key) => key !== background);
  expect(streams).toHaveLength(2);
  for (const key of streams) await waitFor(async () => (await stack.redis.xlen(key)) === 0, 'the reply stream to be trimmed');
  expect(stack.logs()).not.toContain('"level":50');
});
