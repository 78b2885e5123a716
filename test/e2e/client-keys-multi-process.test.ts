import { afterAll, beforeAll, expect, test } from 'vitest';
import { chat } from '../support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { issueKey } from './admin-helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    keys: 3,
    apiProcesses: 2,
    workerProcesses: 1,
    env: { API_KEY_AUTH_ENABLED: 'true', KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0' },
  });
});
afterAll(async () => {
  await stack?.close();
});

test("a client's rateLimit holds across two API processes", async () => {
  const [a, b] = stack.apiUrls as [string, string];
  const k = await issueKey(a, { name: 'shared', rateLimit: 5 });
  const results = await Promise.all(
    Array.from({ length: 12 }, (_, i) => chat(i % 2 === 0 ? a : b, `r${i}`, { headers: { 'x-api-key': k.key } })),
  );
  const statuses = results.map((r) => r.status).sort();
  expect(statuses).toEqual([...Array<number>(5).fill(200), ...Array<number>(7).fill(429)]);
  for (const r of results.filter((x) => x.status === 429)) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  // Both processes turned some away: the window is one, in Redis.
  const refusedBy = new Set(results.map((r, i) => (r.status === 429 ? i % 2 : -1)).filter((x) => x >= 0));
  expect(refusedBy.size).toBe(2);
  const upstream = (await stack.sim.records()).filter((r) => r.path.endsWith('/chat/completions'));
  expect(upstream).toHaveLength(5);
});

test('revoking a key in one API process refuses it in the other at once', async () => {
  const [a, b] = stack.apiUrls as [string, string];
  const k = await issueKey(a, { name: 'revoke-me' });
  const headers = { authorization: `Bearer ${k.key}` };
  expect((await chat(b, 'before', { headers })).status).toBe(200);
  const del = await fetch(`${a}/api/keys/${k.id}`, { method: 'DELETE' });
  expect(del.status).toBe(200);
  // No wait, no retry: the very next request on the other process is refused.
  const after = await chat(b, 'after', { headers });
  expect(after.status).toBe(401);
  expect(after.body).toMatchObject({ error: { type: 'authentication_error', code: 'invalid_api_key' } });

  const d = await issueKey(b, { name: 'deactivate-me' });
  await fetch(`${b}/api/keys/${d.id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ active: false }),
  });
  expect((await chat(a, 'off', { headers: { 'x-api-key': d.key } })).status).toBe(401);
});
