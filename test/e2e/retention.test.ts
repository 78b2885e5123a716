import { expect, test } from 'vitest';
import { BACKGROUND_REPLY_TO, KeyQueues, RedisKeys, ownRoot, toUpstreamKeys } from '@ork/shared';
import { chat, waitFor } from '../support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { stopAfterEach } from '../support/stop-after-each.js';

const stopLater = stopAfterEach();

const finished = async (q: KeyQueues): Promise<number> => {
  let n = 0;
  for (const queue of q.byId.values()) {
    const counts = await queue.getJobCounts('completed', 'failed');
    n += (counts.completed ?? 0) + (counts.failed ?? 0);
  }
  return n;
};

const open = (s: Stack): KeyQueues => new KeyQueues(toUpstreamKeys(s.keys), s.redis, new RedisKeys(s.prefix));

test('by default a finished job keeps no prompt or answer in Redis, and an answer to a request waiting in the same process never goes through it', async () => {
  const stack = stopLater(await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0' } }));
  const queues = stopLater(open(stack));
  expect((await chat(stack.url, 'a secret prompt')).status).toBe(200);
  // The failed path too: a 400 from upstream is delivered, then the job is done.
  await stack.sim.configure({ faults: [{ status: 400, times: 1 }] });
  expect((await chat(stack.url, 'another secret')).status).toBe(400);
  await waitFor(async () => (await finished(queues)) === 0, 'finished jobs to be gone');
  // API and workers share this process (as with `npm start`): the answers were handed over in memory.
  const replyStreams = await stack.redis.keys(`${ownRoot(stack.prefix)}:replies:*`);
  expect(replyStreams.filter((key) => key !== new RedisKeys(stack.prefix).replies(BACKGROUND_REPLY_TO))).toEqual([]);
  // Nothing under the prefix holds the prompt any more.
  for (const key of await stack.redis.keys(`${stack.prefix}:*`)) {
    const type = await stack.redis.type(key);
    const dump = type === 'hash' ? JSON.stringify(await stack.redis.hgetall(key)) : type === 'string' ? ((await stack.redis.get(key)) ?? '') : '';
    expect(dump, key).not.toContain('secret');
  }
});

test('JOB_RETENTION_SECONDS keeps finished jobs for Bull Board, and removes them on an idle key too', async () => {
  const stack = stopLater(await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0', JOB_RETENTION_SECONDS: '1' } }));
  const queues = stopLater(open(stack));
  expect((await chat(stack.url, 'kept a moment')).status).toBe(200);
  // The answer reaches the client just before its job is marked finished.
  await waitFor(async () => (await finished(queues)) === 1, 'the job to be finished');
  // No further job finishes on this key: only the workers' cleaner can remove it.
  await waitFor(async () => (await finished(queues)) === 0, 'the idle key to be cleaned', 15_000);
});

/** Every job hash of the key queues, finished ones included. */
const jobHashes = async (s: Stack): Promise<Record<string, string>[]> => {
  const hashes: Record<string, string>[] = [];
  for (const key of await s.redis.keys(`${s.prefix}:{key-*`)) {
    if ((await s.redis.type(key)) !== 'hash' || key.endsWith(':meta')) continue;
    hashes.push(await s.redis.hgetall(key));
  }
  return hashes;
};

test('retained finished jobs keep no prompt unless JOB_RETENTION_KEEP_PROMPTS', async () => {
  const stack = stopLater(await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0', JOB_RETENTION_SECONDS: '600' } }));
  const queues = stopLater(open(stack));
  expect((await chat(stack.url, 'a retained secret')).status).toBe(200);
  await stack.sim.configure({ faults: [{ status: 400, times: 1 }] });
  expect((await chat(stack.url, 'a failed secret')).status).toBe(400);
  await waitFor(async () => (await finished(queues)) === 2, 'both jobs to be finished');
  const jobs = (await jobHashes(stack)).filter((h) => h.data !== undefined);
  expect(jobs).toHaveLength(2);
  for (const job of jobs) {
    expect(job.data).not.toContain('secret');
    // What Bull Board still shows: which model, and the summary of the outcome.
    expect(JSON.parse(job.data ?? '{}')).toMatchObject({ body: { model: expect.any(String) as unknown } });
  }
  // Both close again after the test; closing twice is safe.
  await queues.close();
  await stack.close();

  const keeping = stopLater(await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0', JOB_RETENTION_SECONDS: '600', JOB_RETENTION_KEEP_PROMPTS: 'true' } }));
  const kept = stopLater(open(keeping));
  expect((await chat(keeping.url, 'a prompt the operator keeps')).status).toBe(200);
  await waitFor(async () => (await finished(kept)) === 1, 'the job to be finished');
  const keptJobs = (await jobHashes(keeping)).filter((h) => h.data !== undefined);
  expect(keptJobs.map((h) => h.data).join()).toContain('a prompt the operator keeps');
});

test('BullMQ’s event stream of a key queue stays bounded (nothing reads it)', async () => {
  const stack = stopLater(await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' } }));
  // Each request writes about five events; 120 requests would leave 600 entries untrimmed.
  for (let round = 0; round < 12; round++) {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => chat(stack.url, `event ${round}.${i}`)));
    for (const a of answers) expect(a.status).toBe(200);
  }
  const streams = (await stack.redis.keys(`${stack.prefix}:{key-*:events`)).filter(Boolean);
  expect(streams.length).toBeGreaterThan(0);
  // An approximate trim to 0 keeps at most one stream node (stream-node-max-entries, 100 by default).
  for (const stream of streams) expect(await stack.redis.xlen(stream)).toBeLessThanOrEqual(100);
});
