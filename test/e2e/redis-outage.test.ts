import { afterEach, expect, test } from 'vitest';
import { answerOf, chat, waitFor } from '../support/client.js';
import { PrivateRedis } from '../support/private-redis.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack | undefined;
let redis: PrivateRedis | undefined;
afterEach(async () => {
  await redis?.ensureRunning().catch(() => undefined);
  await stack?.close();
  await redis?.kill();
  stack = undefined;
  redis = undefined;
});

const noLimits = { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' };

test('while Redis is down the API answers 503 at once; when it returns, everything recovers without a restart', async () => {
  redis = await PrivateRedis.start();
  stack = await startStack({ keys: 2, env: noLimits, redisUrl: redis.url, apiProcesses: 1, workerProcesses: 1 });
  const s = stack;
  expect((await chat(s.url, 'before')).status).toBe(200);

  await redis.kill();
  // A hang would trip this signal and fail the test.
  const during = await Promise.all(
    Array.from({ length: 5 }, (_, i) => chat(s.url, `during ${i}`, { signal: AbortSignal.timeout(5_000) })),
  );
  for (const r of during) {
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ type: 'service_unavailable' });
  }
  expect((await fetch(`${s.url}/readyz`)).status).toBe(503);
  expect((await fetch(`${s.url}/healthz`)).status).toBe(200);

  await redis.restart();
  await waitFor(async () => (await fetch(`${s.url}/readyz`)).status === 200, 'the API to see Redis again', 20_000);
  const after = await Promise.all(Array.from({ length: 6 }, (_, i) => chat(s.url, `after ${i}`)));
  after.forEach((r, i) => expect(answerOf(r.body)).toBe(`echo: after ${i}`));
  // No process died on the way.
  for (const p of s.processes) expect(p.child.exitCode).toBeNull();
});

test('with AOF on (as in docker-compose.yml), queued requests and counters survive a Redis restart', async () => {
  redis = await PrivateRedis.start(['--appendonly', 'yes', '--appendfsync', 'always', '--save', '']);
  stack = await startStack({
    keys: 1,
    env: { ...noLimits, KEY_MIN_INTERVAL_MS: '2000' },
    redisUrl: redis.url,
    apiProcesses: 1,
    workerProcesses: 1,
  });
  const s = stack;
  const first = chat(s.url, 'first');
  await waitFor(async () => (await s.sim.records()).length === 1, 'the first request upstream');
  const queued = chat(s.url, 'queued across the restart');
  await waitFor(
    async () => ((await (await fetch(`${s.url}/api/status`)).json()) as { keys: { queue: { waiting: number } }[] }).keys[0]!.queue.waiting === 1,
    'the second request to be queued',
  );
  await redis.kill('SIGTERM');
  await redis.restart();

  expect(answerOf((await first).body)).toBe('echo: first');
  expect(answerOf((await queued).body)).toBe('echo: queued across the restart');
  const records = (await s.sim.records()).filter((r) => r.path.endsWith('completions'));
  expect(records).toHaveLength(2);
  // The spacing counter survived too: the queued request still waited its interval.
  expect(records[1]!.hrMs - records[0]!.hrMs).toBeGreaterThanOrEqual(2000);
});
