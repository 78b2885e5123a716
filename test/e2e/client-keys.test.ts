import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { answerOf, chat, waitFor } from '../support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { issueKey } from './admin-helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ keys: 2, env: { API_KEY_AUTH_ENABLED: 'true', KEY_MIN_INTERVAL_MS: '0' } });
});
afterAll(async () => {
  await stack?.close();
});

interface Listed {
  id: string;
  name: string;
  masked: string;
  rateLimit: number;
  active: boolean;
  lastUsedAt: string | null;
  usage: { today: { requests: number; promptTokens: number }; total: { requests: number; completionTokens: number } };
}

const listKeys = async (): Promise<Listed[]> =>
  ((await (await fetch(`${stack.url}/api/keys`)).json()) as { keys: Listed[] }).keys;

describe('presenting a client key', () => {
  test.each([
    ['X-API-Key', (key: string) => ({ url: stack.url, headers: { 'x-api-key': key } })],
    ['Authorization: Bearer', (key: string) => ({ url: stack.url, headers: { authorization: `Bearer ${key}` } })],
    // The query string rides on the base URL, as with a base URL pasted into a tool.
    ['?api_key=', (key: string) => ({ url: stack.url, headers: {}, query: `?api_key=${key}` })],
  ])('%s is accepted', async (_how, present) => {
    const k = await issueKey(stack.url, { name: 'way' });
    const { headers, query } = present(k.key) as { headers: Record<string, string>; query?: string };
    const res = await fetch(`${stack.url}/v1/chat/completions${query ?? ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'm:free', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(answerOf((await res.json()) as Record<string, unknown>)).toBe('echo: hi');
  });

  test('the OpenAI SDK works with a client key as its apiKey', async () => {
    const { default: OpenAI } = await import('openai');
    const k = await issueKey(stack.url, { name: 'sdk' });
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: k.key, maxRetries: 0 });
    const done = await client.chat.completions.create({ model: 'm:free', messages: [{ role: 'user', content: 'sdk' }] });
    expect(done.choices[0]?.message.content).toBe('echo: sdk');
    const bad = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'sk-ork-wrong', maxRetries: 0 });
    await expect(bad.chat.completions.create({ model: 'm:free', messages: [] })).rejects.toMatchObject({ status: 401 });
  });
});

describe('refusals', () => {
  const expect401 = async (headers: Record<string, string>, code: string, message: RegExp): Promise<void> => {
    const r = await chat(stack.url, 'no', { headers });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: { message: expect.stringMatching(message) as string, type: 'authentication_error', code, param: null } });
  };

  test('missing, malformed, unknown, revoked and disabled keys get 401 and never reach upstream', async () => {
    const before = (await stack.sim.records()).length;
    await expect401({}, 'missing_api_key', /^Missing API key/);
    await expect401({ authorization: 'Bearer not-a-key' }, 'invalid_api_key', /^Malformed API key/);
    await expect401({ 'x-api-key': stack.keys[0]! }, 'invalid_api_key', /^Malformed API key/);
    await expect401({ 'x-api-key': `sk-ork-${'A'.repeat(43)}` }, 'invalid_api_key', /unknown or revoked/);

    const revoked = await issueKey(stack.url, { name: 'revoked' });
    expect((await chat(stack.url, 'ok', { headers: { 'x-api-key': revoked.key } })).status).toBe(200);
    const del = await fetch(`${stack.url}/api/keys/${revoked.id}`, { method: 'DELETE' });
    expect(await del.json()).toEqual({ id: revoked.id, deleted: true });
    await expect401({ 'x-api-key': revoked.key }, 'invalid_api_key', /unknown or revoked/);
    expect((await fetch(`${stack.url}/api/keys/${revoked.id}`, { method: 'DELETE' })).status).toBe(404);

    const disabled = await issueKey(stack.url, { name: 'disabled' });
    const patch = await fetch(`${stack.url}/api/keys/${disabled.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ active: false }),
    });
    expect(await patch.json()).toMatchObject({ id: disabled.id, active: false });
    await expect401({ 'x-api-key': disabled.key }, 'api_key_disabled', /disabled/);
    expect((await stack.sim.records()).length).toBe(before + 1);
  });

  test('over its rateLimit a client gets 429 with Retry-After and retry-after-ms', async () => {
    const k = await issueKey(stack.url, { name: 'limited', rateLimit: 2 });
    const headers = { authorization: `Bearer ${k.key}` };
    expect((await chat(stack.url, 'a', { headers })).status).toBe(200);
    expect((await chat(stack.url, 'b', { headers })).status).toBe(200);
    const over = await chat(stack.url, 'c', { headers });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ error: { type: 'rate_limit_error', code: 'client_rate_limit_exceeded' } });
    const ms = Number(over.headers.get('retry-after-ms'));
    expect(ms).toBeGreaterThan(50_000);
    expect(ms).toBeLessThanOrEqual(60_000);
    expect(Number(over.headers.get('retry-after'))).toBe(Math.ceil(ms / 1000));
    // Another client is not held back by this one's limit.
    const other = await issueKey(stack.url, { name: 'other', rateLimit: 2 });
    expect((await chat(stack.url, 'd', { headers: { 'x-api-key': other.key } })).status).toBe(200);
  });
});

test('every route under the OpenAI prefixes needs a key, unknown ones too, and counts once', async () => {
  expect((await fetch(`${stack.url}/v1/no-such-route`)).status).toBe(401);
  const k = await issueKey(stack.url, { name: 'fallthrough' });
  const res = await fetch(`${stack.url}/v1/no-such-route`, { headers: { 'x-api-key': k.key } });
  expect(res.status).toBe(404);
  expect((await listKeys()).find((l) => l.id === k.id)?.usage.total.requests).toBe(1);
});

describe('managing keys', () => {
  test('the key is shown once; listing is masked, with usage and times', async () => {
    const k = await issueKey(stack.url, { name: 'usage', rateLimit: 50 });
    expect(k.key).toMatch(/^sk-ork-/);
    for (let i = 0; i < 3; i++) expect((await chat(stack.url, `u${i}`, { headers: { 'x-api-key': k.key } })).status).toBe(200);
    const listed = (await listKeys()).find((l) => l.id === k.id);
    expect(listed).toMatchObject({ name: 'usage', masked: k.masked, rateLimit: 50, active: true });
    expect(listed?.usage.today.requests).toBe(3);
    expect(listed?.usage.total.requests).toBe(3);
    expect(listed?.lastUsedAt).not.toBeNull();
    // Tokens come from the completions route (res.locals.usage) once each answer is sent.
    const withTokens = await waitFor(async () => {
      const l = (await listKeys()).find((x) => x.id === k.id);
      return l && l.usage.today.promptTokens > 0 && l.usage.total.completionTokens > 0 ? l : undefined;
    }, 'tokens attributed to the client key');
    expect(withTokens.usage.today.requests).toBe(3);
    const listText = JSON.stringify(await listKeys());
    expect(listText).not.toContain(k.key);

    const status = (await (await fetch(`${stack.url}/api/status`)).json()) as {
      clients: { required: boolean; usage: { id: string; today: { requests: number } }[] };
    };
    expect(status.clients.required).toBe(true);
    expect(status.clients.usage.find((u) => u.id === k.id)?.today.requests).toBe(3);
    expect(JSON.stringify(status)).not.toContain(k.key);
  });

  test('bad bodies get 400, unknown ids 404, wrong methods 405, non-JSON 415', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${stack.url}/api/keys`, { method: 'POST', headers: { 'content-type': type }, body });
    expect((await post('{"rateLimit": 5}')).status).toBe(400);
    expect((await post('{"name": "x", "rateLimit": -3}')).status).toBe(400);
    expect((await post('{not json')).status).toBe(400);
    expect((await post('name=x', 'application/x-www-form-urlencoded')).status).toBe(415);
    const patch = await fetch(`${stack.url}/api/keys/ck_0123456789abcdef`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "y"}',
    });
    expect(patch.status).toBe(404);
    expect((await fetch(`${stack.url}/api/keys`, { method: 'PUT' })).status).toBe(405);
  });
});
