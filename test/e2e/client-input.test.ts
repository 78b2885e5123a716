import { afterAll, beforeAll, expect, test } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0' } });
});
afterAll(async () => stack?.close());

const completions = async (): Promise<number> => (await stack.sim.records()).filter((r) => r.path.endsWith('completions')).length;

test.each([
  ['GET', '/v1/models/%ff'],
  ['GET', '/models/%E0%A4%A'],
  ['GET', '/api/keys/%ff'],
  ['PATCH', '/api/keys/%ff'],
  ['DELETE', '/api/keys/%ff'],
])('a bad percent-escape in a route parameter: %s %s is a 400, not a 500', async (method, path) => {
  const res = await fetch(`${stack.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_url' } });
});

test.each([
  ['without', {}],
  ['with an Idempotency-Key', { 'idempotency-key': 'deep-1' }],
])('JSON nested 4,500 deep (%s) is a 400 before it reaches Redis', async (_label, headers: Record<string, string>) => {
  const deep = `${'['.repeat(4500)}${']'.repeat(4500)}`;
  const body = `{"model":"m","messages":[{"role":"user","content":"x"}],"extra":${deep}}`;
  const res = await fetch(`${stack.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'body_too_deep' } });
  expect(await completions()).toBe(0);
  // A tool schema of ordinary depth is fine.
  let schema: unknown = { type: 'string' };
  for (let i = 0; i < 20; i++) schema = { type: 'object', properties: { a: schema } };
  const ok = await fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema', json_schema: { schema } } }),
  });
  expect(ok.status).toBe(200);
  await stack.sim.reset();
});
