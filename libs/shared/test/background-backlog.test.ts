import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { BackgroundBacklog, type NewItem, type Peeked } from '../src/background/background-backlog.js';
import { redisFixture } from './redis-fixture.js';

let fx: ReturnType<typeof redisFixture>;
let backlog: BackgroundBacklog;
beforeEach(() => {
  fx = redisFixture();
  backlog = new BackgroundBacklog(fx.redis, fx.keys, 60);
});
afterEach(async () => {
  await fx.cleanup();
});

const item = (clientId: string, content: string): NewItem => ({
  id: randomUUID(),
  clientId,
  request: { endpoint: 'chat/completions', body: { model: 'm', messages: [{ role: 'user', content }] }, headers: {} },
});

async function contents(plan: Peeked[]): Promise<string[]> {
  const items = await Promise.all(plan.map((p) => backlog.item(p.itemId)));
  return items.map((i) => `${i?.clientId}:${(i?.request?.body.messages as { content: string }[])[0]?.content}`);
}

/** Dispatches (commits) what the plan says, as the dispatcher does once each line is routed. */
async function take(plan: Peeked[], weights: Record<string, number> = {}): Promise<void> {
  for (const p of plan) await backlog.commit(p, weights[p.clientId] ?? 1, Date.now() + 60_000, 'k');
}

test('clients take turns: a flood of batch lines and another client’s two jobs interleave one for one', async () => {
  await backlog.submitBatch('b1', 'flooder', Array.from({ length: 10 }, (_, i) => item('flooder', `f${i}`)));
  await backlog.submitAsync(item('other', 'o0'));
  await backlog.submitAsync(item('other', 'o1'));
  const plan = await backlog.plan(6, {});
  expect((await contents(plan)).sort()).toEqual(['flooder:f0', 'flooder:f1', 'flooder:f2', 'flooder:f3', 'other:o0', 'other:o1'].sort());
  // Alternating while both wait (who goes first depends on the tie at score 0).
  const clients = plan.slice(0, 4).map((p) => p.clientId);
  expect(new Set([clients[0], clients[1]]).size).toBe(2);
  expect(new Set([clients[2], clients[3]]).size).toBe(2);
});

test('weights: a client of weight 2 gets two dispatches for each of a weight-1 client', async () => {
  await backlog.submitBatch('a', 'heavy', Array.from({ length: 30 }, (_, i) => item('heavy', `h${i}`)));
  await backlog.submitBatch('b', 'light', Array.from({ length: 30 }, (_, i) => item('light', `l${i}`)));
  const weights = { heavy: 2 };
  const plan = await backlog.plan(30, weights);
  expect(plan.filter((p) => p.clientId === 'heavy')).toHaveLength(20);
  expect(plan.filter((p) => p.clientId === 'light')).toHaveLength(10);
});

test('a client back from idle joins at the least virtual time: no credit for the time it sent nothing', async () => {
  await backlog.submitBatch('a', 'busy', Array.from({ length: 20 }, (_, i) => item('busy', `b${i}`)));
  await take(await backlog.plan(10, {}));
  await backlog.submitAsync(item('late', 'l0'));
  await backlog.submitAsync(item('late', 'l1'));
  await backlog.submitAsync(item('late', 'l2'));
  const plan = await backlog.plan(6, {});
  // Alternates with the busy client instead of taking its three first.
  expect(plan.filter((p) => p.clientId === 'late')).toHaveLength(3);
  expect(plan.slice(0, 2).map((p) => p.clientId).sort()).toEqual(['busy', 'late']);
});

test('within a client, async jobs before batch lines and earlier batches before later ones; withdrawn lines are gone', async () => {
  await backlog.submitBatch('first', 'c', [item('c', 'first-1'), item('c', 'first-2')]);
  await backlog.submitBatch('second', 'c', [item('c', 'second-1')]);
  await backlog.submitAsync(item('c', 'async'));
  expect(await contents(await backlog.plan(10, {}))).toEqual(['c:async', 'c:first-1', 'c:first-2', 'c:second-1']);
  expect(await backlog.withdrawBatch('first')).toBe(2);
  expect(await contents(await backlog.plan(10, {}))).toEqual(['c:async', 'c:second-1']);
});
