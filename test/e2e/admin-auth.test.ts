import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chat } from '../support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { basic, issueKey } from './admin-helpers.js';

const USER = 'operator';
const PASS = 'correct horse battery staple';
const ADMIN = { authorization: basic(USER, PASS) };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    keys: 2,
    env: {
      AUTH_ENABLED: 'true',
      AUTH_USERNAME: USER,
      AUTH_PASSWORD: PASS,
      API_KEY_AUTH_ENABLED: 'true',
      KEY_MIN_INTERVAL_MS: '0',
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

const ADMIN_ROUTES = ['/api/status', '/api/keys', '/admin/queues', '/admin/queues/api/queues'];

const expectChallenge = async (res: Response): Promise<void> => {
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="[^"]+"/);
  expect(await res.json()).toMatchObject({ error: { type: 'authentication_error', code: 'admin_auth_required' } });
};

describe('admin surface with AUTH_ENABLED=true', () => {
  test.each(ADMIN_ROUTES)('%s without credentials: 401 with a Basic challenge', async (path) => {
    await expectChallenge(await fetch(`${stack.url}${path}`));
  });

  test.each([
    ['a wrong password', basic(USER, `${PASS}!`)],
    ['a wrong user', basic('admin', PASS)],
    ['an empty password', basic(USER, '')],
    ['a Bearer token holding the password', `Bearer ${PASS}`],
  ])('%s is refused', async (_what, authorization) => {
    for (const path of ADMIN_ROUTES) await expectChallenge(await fetch(`${stack.url}${path}`, { headers: { authorization } }));
  });

  test('the right credentials open every admin route', async () => {
    for (const path of ADMIN_ROUTES) expect((await fetch(`${stack.url}${path}`, { headers: ADMIN })).status).toBe(200);
  });

  test('writes need credentials too: no key is issued or revoked without them', async () => {
    const res = await fetch(`${stack.url}/api/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "sneaky"}',
    });
    await expectChallenge(res);
    const k = await issueKey(stack.url, { name: 'kept' }, ADMIN);
    await expectChallenge(await fetch(`${stack.url}/api/keys/${k.id}`, { method: 'DELETE' }));
    expect((await chat(stack.url, 'still', { headers: { 'x-api-key': k.key } })).status).toBe(200);
  });
});

describe('the two kinds of credentials do not mix', () => {
  test('a client key never opens the admin surface', async () => {
    const k = await issueKey(stack.url, { name: 'client' }, ADMIN);
    for (const headers of [{ 'x-api-key': k.key }, { authorization: `Bearer ${k.key}` }] as Record<string, string>[]) {
      for (const path of ADMIN_ROUTES) await expectChallenge(await fetch(`${stack.url}${path}`, { headers }));
    }
    await expectChallenge(await fetch(`${stack.url}/api/status?api_key=${k.key}`));
  });

  test('admin credentials never open the OpenAI routes', async () => {
    for (const headers of [ADMIN, { 'x-api-key': PASS }, { authorization: `Bearer ${PASS}` }]) {
      const r = await chat(stack.url, 'admin?', { headers });
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ error: { type: 'authentication_error' } });
    }
  });
});
