import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { answerOf, waitFor } from '../support/client.js';
import { startStack, type Stack } from '../support/stack.js';

// API and worker in their own processes, logging everything they can (trace), JSON as in production.
const password = `pw-${randomBytes(16).toString('hex')}`;
const basic = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    keys: 2,
    apiProcesses: 1,
    workerProcesses: 1,
    env: {
      KEY_MIN_INTERVAL_MS: '0',
      LOG_LEVEL: 'trace',
      API_KEY_AUTH_ENABLED: 'true',
      AUTH_ENABLED: 'true',
      AUTH_USERNAME: 'admin',
      AUTH_PASSWORD: password,
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

function completion(query: string, headers: Record<string, string>, stream = false): Promise<Response> {
  return fetch(`${stack.url}/v1/chat/completions${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'test/echo:free', stream, messages: [{ role: 'user', content: 'redact me' }] }),
    // A request that never ends fails here, by name, rather than as a test timeout.
    signal: AbortSignal.timeout(20_000),
  });
}

test('no key or password reaches the logs, whichever header or query carried it', async () => {
  const issued = await fetch(`${stack.url}/api/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic },
    body: JSON.stringify({ name: 'redaction' }),
  });
  expect(issued.status).toBe(201);
  const { key } = (await issued.json()) as { key: string };
  const wrong = `sk-ork-${randomBytes(32).toString('base64url')}`;

  // The right key in every place a client may put it, plain and streamed.
  for (const [query, headers] of [
    ['', { authorization: `Bearer ${key}` }],
    ['', { 'x-api-key': key }],
    [`?api_key=${key}`, {}],
  ] as const) {
    const res = await completion(query, headers);
    expect(res.status).toBe(200);
    expect(answerOf((await res.json()) as Record<string, unknown>)).toBe('echo: redact me');
    const streamed = await completion(query, headers, true);
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toContain('data: [DONE]');
  }
  // A wrong key everywhere at once, and admin credentials where they do not belong.
  expect((await completion(`?api_key=${wrong}`, { authorization: `Bearer ${wrong}`, 'x-api-key': wrong })).status).toBe(401);
  expect((await completion('', { authorization: basic })).status).toBe(401);
  // Admin routes with Basic auth, right and wrong, and a client key where admin credentials belong.
  for (const path of ['/api/status', '/metrics', '/api/keys', `/api/status?api_key=${key}`]) {
    expect((await fetch(`${stack.url}${path}`, { headers: { authorization: basic } })).status).toBe(200);
  }
  const wrongBasic = `Basic ${Buffer.from(`admin:${wrong}`).toString('base64')}`;
  expect((await fetch(`${stack.url}/api/status`, { headers: { authorization: wrongBasic } })).status).toBe(401);
  expect((await fetch(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${key}`, 'x-api-key': key } })).status).toBe(401);

  // Both processes logged at trace level (the worker's per-request lines included) before we look.
  await waitFor(() => stack.logs().includes('upstream answered') && stack.logs().includes('"path":"/metrics"'), 'the request logs');
  const logs = stack.logs();
  expect(logs).toContain('"level":20');
  const secrets = [key, wrong, password, basic.slice('Basic '.length), wrongBasic.slice('Basic '.length), ...stack.keys];
  for (const secret of secrets) {
    expect(logs).not.toContain(secret);
    // Not even a long piece of one (e.g. the part after a prefix).
    expect(logs).not.toContain(secret.slice(8, 32));
  }
});
