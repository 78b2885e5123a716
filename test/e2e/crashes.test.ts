import { afterEach, expect, test } from 'vitest';
import { answerOf, chat, waitFor } from '../support/client.js';
import { idle, readStatus } from '../support/status.js';
import { startStack, type Stack } from '../support/stack.js';
import { WORKER_MAIN, runProcess } from '../support/processes.js';
import { BodyReader, parseSse, streamedText } from '../support/sse.js';
import { expectWithinLimits } from '../support/limits.js';
import { RedisKeys } from '@ork/shared';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const completions = <T extends { path: string }>(records: T[]): T[] => records.filter((r) => r.path.endsWith('/completions'));

const limits = { KEY_MIN_INTERVAL_MS: '150', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0', LOG_LEVEL: 'info' };

test('a worker killed with SIGKILL mid-burst loses no request: another worker picks up its jobs', async () => {
  stack = await startStack({ keys: 3, workerProcesses: 2, env: limits, simulatorEnv: { SIM_LATENCY_MS: '400' } });
  const s = stack;
  const n = 30;
  const pending = Promise.all(Array.from({ length: n }, (_, i) => chat(s.url, `crash ${i}`)));
  await waitFor(async () => completions(await s.sim.records()).length >= 6, 'requests in flight');
  await s.processes[0]!.stop('SIGKILL');

  const results = await pending;
  results.forEach((r, i) => {
    expect(r.status).toBe(200);
    expect(answerOf(r.body)).toBe(`echo: crash ${i}`);
  });
  const records = (await s.sim.records()).filter((r) => r.path.endsWith('completions'));
  // At least once: a request the dead worker had already sent may have been sent again.
  expect(records.length).toBeGreaterThanOrEqual(n);
  expectWithinLimits(records, { minIntervalMs: 150 }, s.keys);
  await waitFor(async () => idle(await readStatus(s.url)), 'every queue to be empty');
});

test('SIGKILL mid-burst with the minute and day limits binding: re-runs count as starts and no key goes past either', { timeout: 90_000 }, async () => {
  const caps = { minIntervalMs: 150, perMinute: 11, perDay: 11 };
  stack = await startStack({
    keys: 3,
    workerProcesses: 2,
    env: {
      ...limits,
      KEY_REQUESTS_PER_MINUTE: String(caps.perMinute),
      KEY_REQUESTS_PER_DAY: String(caps.perDay),
      // A request that could only start after the minute slides is refused, not kept waiting.
      QUEUE_TIMEOUT_MS: '30000',
    },
    simulatorEnv: { SIM_LATENCY_MS: '400' },
  });
  const s = stack;
  // 36 requests for 3 x 11 starts: the limits bind even before the re-runs want more.
  const n = 36;
  const pending = Promise.all(Array.from({ length: n }, (_, i) => chat(s.url, `capped ${i}`)));
  await waitFor(async () => (await s.sim.records()).length >= 6, 'requests in flight');
  await s.processes[0]!.stop('SIGKILL');

  const results = await pending;
  results.forEach((r, i) => {
    if (r.status === 200) expect(answerOf(r.body)).toBe(`echo: capped ${i}`);
    else {
      // Nothing is lost: what cannot start today is refused (429), or, for a job the dead worker
      // held, answered 504 once QUEUE_TIMEOUT_MS has passed; never left hanging.
      expect([429, 504], JSON.stringify(r.body)).toContain(r.status);
      expect(r.body.error).toMatchObject(r.status === 429 ? { type: 'rate_limit_error' } : { code: 'queue_timeout' });
    }
  });
  expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(0);
  const records = (await s.sim.records()).filter((r) => r.path.endsWith('completions'));
  expect(records.length).toBeLessThanOrEqual(3 * caps.perDay);
  expectWithinLimits(records, caps, s.keys);
  // Every answered request reached upstream; every start was counted, re-runs included.
  const sent = new Set(records.map((r) => JSON.stringify(r.body)));
  expect(sent.size).toBeGreaterThanOrEqual(results.filter((r) => r.status === 200).length);
  await waitFor(async () => idle(await readStatus(s.url)), 'every queue to be empty', 30_000);
  expect((await readStatus(s.url)).keys.map((k) => k.today.started)).toEqual([caps.perDay, caps.perDay, caps.perDay]);
});

test('a job left active by a worker that died while no other ran is re-run by the next worker at start-up, even with its queue long idle', async () => {
  stack = await startStack({ keys: 1, workerProcesses: 1, env: limits, simulatorEnv: { SIM_LATENCY_MS: '3000' } });
  const s = stack;
  const pending = chat(s.url, 'left behind');
  await waitFor(async () => completions(await s.sim.records()).length >= 1, 'the request upstream');
  await s.processes[0]!.stop('SIGKILL');
  // As if the dead worker's last word were older than the window in which queues are checked for
  // stalled jobs (everything down for minutes): only the start-up sweep can find the job now.
  await s.redis.del(new RedisKeys(s.prefix).keyQueuesWithActiveJobs());
  s.processes.push(runProcess(WORKER_MAIN, s.env));

  const result = await pending;
  expect(result.status).toBe(200);
  expect(answerOf(result.body)).toBe('echo: left behind');
  expect(s.logs()).toContain('moved stalled jobs back to their queue');
  // At least once: the dead worker's request reached upstream, and so did the re-run.
  expect(completions(await s.sim.records())).toHaveLength(2);
});

test('SIGTERM drains: active requests finish, waiting ones stay queued for the next worker', async () => {
  stack = await startStack({
    keys: 1,
    workerProcesses: 1,
    env: { ...limits, KEY_MIN_INTERVAL_MS: '300', SHUTDOWN_TIMEOUT_MS: '10000' },
    simulatorEnv: { SIM_LATENCY_MS: '800' },
  });
  const s = stack;
  const pending = Promise.all(Array.from({ length: 6 }, (_, i) => chat(s.url, `drain ${i}`)));
  await waitFor(async () => completions(await s.sim.records()).length >= 2, 'two requests in flight');
  const exit = await s.processes[0]!.stop('SIGTERM');
  expect(exit).toBe(0);
  const sentBeforeExit = completions(await s.sim.records()).length;
  expect(sentBeforeExit).toBeLessThan(6);
  // Every request the old worker started was answered before it exited (no re-run needed).
  const status = await readStatus(s.url);
  expect(status.keys[0]!.queue.active).toBe(0);
  expect(status.keys[0]!.queue.waiting + status.keys[0]!.reserved).toBeGreaterThan(0);

  // A new worker takes over the waiting ones.
  const next = runProcess(WORKER_MAIN, s.env);
  s.processes.push(next);
  const results = await pending;
  results.forEach((r, i) => expect(answerOf(r.body)).toBe(`echo: drain ${i}`));
  // (The new worker's GET /key calls, account discovery, are no completions.)
  expect(completions(await s.sim.records()).length).toBe(6);
});

test('a stream whose worker dies mid-stream ends with an error chunk, never a second copy of the answer', async () => {
  stack = await startStack({ keys: 1, workerProcesses: 1, env: limits, simulatorEnv: { SIM_CHUNK_DELAY_MS: '100' } });
  const s = stack;
  const res = await fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'test/echo:free', stream: true, messages: [{ role: 'user', content: 'word '.repeat(100) }] }),
  });
  const body = new BodyReader(res.body);
  await body.until((t) => t.includes('"content":" word"'), 'the first words of the answer');
  await s.processes[0]!.stop('SIGKILL');
  s.processes.push(runProcess(WORKER_MAIN, s.env));
  const text = await body.toEnd(30_000);

  const events = parseSse(text).events as { error?: { code: number }; choices?: { delta?: { content?: string } }[] }[];
  expect(events.at(-1)?.error?.code).toBe(502);
  const received = streamedText(events);
  expect(received.startsWith('echo: word')).toBe(true);
  // Never the answer twice: the re-run did not stream again.
  expect(received.split('echo:').length).toBe(2);
  expect((await s.sim.records()).filter((r) => r.path.endsWith('completions'))).toHaveLength(1);
});
