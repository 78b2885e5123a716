import { expect, test } from 'vitest';
import { KeyQueues, RedisKeys, ownRoot, toUpstreamKeys } from '@ork/shared';
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

test('by default a finished job keeps no prompt or answer in Redis, and the reply stream is trimmed once read', async () => {
  const stack = stopLater(await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0' } }));
  const queues = stopLater(open(stack));
  expect((await chat(stack.url, 'a secret prompt')).status).toBe(200);
  // The failed path too: a 400 from upstream is delivered, then the job is done.
  await stack.sim.configure({ faults: [{ status: 400, times: 1 }] });
  expect((await chat(stack.url, 'another secret')).status).toBe(400);
  await waitFor(async () => (await finished(queues)) === 0, 'finished jobs to be gone');
  const replyStreams = await stack.redis.keys(`${ownRoot(stack.prefix)}:replies:*`);
  for (const stream of replyStreams) expect(await stack.redis.xlen(stream)).toBe(0);
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
  expect(await finished(queues)).toBe(1);
  // No further job finishes on this key: only the workers' cleaner can remove it.
  await waitFor(async () => (await finished(queues)) === 0, 'the idle key to be cleaned', 15_000);
});
