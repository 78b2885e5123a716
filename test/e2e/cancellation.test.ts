import { afterEach, expect, test } from 'vitest';
import { answerOf, chat, waitFor } from '../support/client.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

interface StatusBody {
  keys: { today: { started: number }; reserved: number; queue: { waiting: number } }[];
}

async function status(s: Stack): Promise<StatusBody> {
  return (await (await fetch(`${s.url}/api/status`)).json()) as StatusBody;
}

test('a client that disconnects while its request waits in the queue spends no quota', async () => {
  stack = await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '1500', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' } });
  const s = stack;
  const first = chat(s.url, 'first');
  await waitFor(async () => (await s.sim.records()).length === 1, 'the first request upstream');

  const controller = new AbortController();
  const abandoned = chat(s.url, 'abandoned', { signal: controller.signal }).catch((err: unknown) => err);
  await waitFor(async () => (await status(s)).keys[0]!.queue.waiting === 1, 'the second request to be queued');
  controller.abort();
  await abandoned;
  await waitFor(async () => {
    const k = (await status(s)).keys[0]!;
    return k.queue.waiting === 0 && k.reserved === 0;
  }, 'the abandoned job to be removed');

  // FIFO: had the abandoned job survived, it would reach upstream before this one.
  const third = await chat(s.url, 'third');
  expect(answerOf(third.body)).toBe('echo: third');
  expect(answerOf((await first).body)).toBe('echo: first');

  const sent = (await s.sim.records()).map((r) => (r.body as { messages: { content: string }[] }).messages[0]!.content);
  expect(sent).toEqual(['first', 'third']);
  expect((await status(s)).keys[0]!.today.started).toBe(2);
});
