import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { getFrom } from './admin-helpers.js';

// Test traffic goes to loopback only. A "proxy" is a client bound to 127.0.0.2 that sets
// X-Forwarded-For; a "remote" caller is an address in X-Forwarded-For (documentation ranges).
let plain: Stack;
let proxied: Stack;
beforeAll(async () => {
  plain = await startStack({ keys: 1 });
  proxied = await startStack({ keys: 1, env: { TRUST_PROXY: '127.0.0.2' } });
});
afterAll(async () => {
  await plain?.close();
  await proxied?.close();
});

const ROUTES = ['/api/status', '/api/keys', '/admin/queues'];
const status = async (stack: Stack, from: string, path: string, headers: Record<string, string> = {}): Promise<number> =>
  (await getFrom(from, `${stack.url}${path}`, headers)).status;

describe('AUTH_ENABLED=false, no TRUST_PROXY (the default)', () => {
  test('says so at start-up', () => {
    expect(plain.logs()).toContain('admin surface answers loopback callers only (AUTH_ENABLED=false)');
  });

  test.each(ROUTES)('%s answers callers on loopback, whichever 127.x address they use', async (path) => {
    expect(await status(plain, '127.0.0.1', path)).toBe(200);
    expect(await status(plain, '127.0.0.2', path)).toBe(200);
  });

  test.each<Record<string, string>>([
    { 'x-forwarded-for': '203.0.113.9' },
    { 'x-forwarded-for': '127.0.0.1' },
    { forwarded: 'for=203.0.113.9;proto=https' },
    { 'x-real-ip': '203.0.113.9' },
  ])('a request relayed by a proxy (%j) is refused with 403, since its client may be anywhere', async (headers) => {
    for (const path of ROUTES) {
      const res = await getFrom('127.0.0.1', `${plain.url}${path}`, headers);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: { type: 'permission_error', code: 'forbidden' } });
      expect(res.headers['www-authenticate']).toBeUndefined();
    }
  });

  test('the OpenAI routes are not part of it', async () => {
    const res = await getFrom('127.0.0.1', `${plain.url}/v1/chat/completions`, { 'x-forwarded-for': '203.0.113.9' });
    expect(res.status).toBe(405);
  });
});

describe('AUTH_ENABLED=false behind a trusted proxy (TRUST_PROXY=127.0.0.2)', () => {
  test('the proxy relaying a local caller is let in', async () => {
    for (const path of ROUTES) expect(await status(proxied, '127.0.0.2', path, { 'x-forwarded-for': '127.0.0.1' })).toBe(200);
  });

  test('the proxy relaying a remote caller is refused', async () => {
    for (const path of ROUTES) expect(await status(proxied, '127.0.0.2', path, { 'x-forwarded-for': '203.0.113.9' })).toBe(403);
  });

  test('a remote caller forging X-Forwarded-For: 127.0.0.1 is refused (the proxy appends the real address)', async () => {
    const headers = { 'x-forwarded-for': '127.0.0.1, 198.51.100.23' };
    for (const path of ROUTES) expect(await status(proxied, '127.0.0.2', path, headers)).toBe(403);
  });

  test('a peer not named in TRUST_PROXY cannot vouch for a caller', async () => {
    for (const path of ROUTES) expect(await status(proxied, '127.0.0.1', path, { 'x-forwarded-for': '127.0.0.1' })).toBe(403);
  });

  test('a direct local caller is still let in', async () => {
    for (const path of ROUTES) expect(await status(proxied, '127.0.0.1', path)).toBe(200);
  });
});
