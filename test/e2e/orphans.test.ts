import { expect, test } from 'vitest';
import { chat, waitFor, type ChatResult } from '../support/client.js';
import { PrivateRedis } from '../support/private-redis.js';
import { startStack, type Stack } from '../support/stack.js';
import { stopAfterEach } from '../support/stop-after-each.js';
import { issueKey } from './admin-helpers.js';
import { readStatus } from '../support/status.js';

const stopLater = stopAfterEach();

const slow = (intervalMs: number): Record<string, string> => ({
  KEY_MIN_INTERVAL_MS: String(intervalMs),
  KEY_REQUESTS_PER_MINUTE: '0',
  KEY_REQUESTS_PER_DAY: '0',
});
const completions = async (s: Stack): Promise<number> => (await s.sim.records()).filter((r) => r.path.endsWith('completions')).length;
const drops = (s: Stack): number => s.logs().split('dropped a request whose API process is gone').length - 1;

test('kill -9 of an API process with queued work: its orphans never reach upstream', async () => {
  // One key, 6 s apart: the first request goes up at once, the others wait well past the
  // heartbeat's staleness (5 s) behind it.
  const stack = stopLater(await startStack({ keys: 1, apiProcesses: 1, env: slow(6_000) }));
  const s = stack;
  const n = 6;
  const pending = Array.from({ length: n }, (_, i) => chat(s.url, `orphan ${i}`).catch(() => undefined));
  await waitFor(async () => (await completions(s)) >= 1, 'the first request upstream');
  await s.processes[0]!.stop('SIGKILL');
  await Promise.all(pending);

  await waitFor(async () => drops(s) >= n - 1 || (await completions(s)) >= n, 'the orphans to be dropped (or sent)', 45_000);
  expect(await completions(s)).toBe(1);
  expect(drops(s)).toBe(n - 1);
});

test('requests queued under a client key that is then revoked are answered 401 and never sent upstream', async () => {
  const stack = stopLater(await startStack({ keys: 1, env: { ...slow(3_000), API_KEY_AUTH_ENABLED: 'true' } }));
  const s = stack;
  const issued = await issueKey(s.url, { name: 'soon revoked' });
  const auth = { authorization: `Bearer ${issued.key}` };
  const pending: Promise<ChatResult>[] = Array.from({ length: 5 }, (_, i) => chat(s.url, `revoked ${i}`, { headers: auth }));
  await waitFor(async () => (await completions(s)) >= 1, 'the first request upstream');
  expect((await fetch(`${s.url}/api/keys/${issued.id}`, { method: 'DELETE' })).status).toBe(200);

  const results = await Promise.all(pending);
  const statuses = results.map((r) => r.status).sort();
  expect(statuses).toEqual([200, 401, 401, 401, 401]);
  for (const r of results.filter((x) => x.status === 401)) expect(r.body.error).toMatchObject({ code: 'client_key_revoked' });
  expect(await completions(s)).toBe(1);
});

test('after a Redis restart without persistence, requests whose jobs are gone get a 503 within seconds, not a 504 at the timeout', async () => {
  const redis = stopLater(await PrivateRedis.start());
  const stack = stopLater(await startStack({ keys: 1, redisUrl: redis.url, env: { ...slow(3_000), QUEUE_TIMEOUT_MS: '40000' } }));
  const s = stack;
  const n = 10;
  const pending = Array.from({ length: n }, (_, i) => chat(s.url, `lost ${i}`));
  await waitFor(async () => (await completions(s)) >= 1, 'the first request upstream');
  await waitFor(async () => {
    const { queue } = (await readStatus(s.url)).keys[0]!;
    return queue.waiting + queue.delayed + queue.active >= n - 1;
  }, 'every request queued');
  await redis.kill();
  await redis.restart();

  const results = await Promise.all(pending);
  const lost = results.filter((r) => r.status === 503 && (r.body.error as { code?: string }).code === 'request_lost');
  // The one already upstream may still be answered; every other one is reported lost, none times out.
  expect(lost.length).toBeGreaterThanOrEqual(n - 1);
  expect(results.filter((r) => r.status === 504)).toEqual([]);
  expect(String((lost[0]!.body.error as { message: string }).message)).toContain('Redis lost this request');
});
