import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hashClientKey } from '@ork/shared';
import { chat, waitFor } from '../support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { basic, issueKey } from './admin-helpers.js';

const USER = 'operator';
const PASS = 'dashboard csrf check';
const ADMIN = { authorization: basic(USER, PASS) };
const JSON_BODY = { 'content-type': 'application/json' };
const FOREIGN = 'https://evil.example';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    keys: 2,
    env: { AUTH_ENABLED: 'true', AUTH_USERNAME: USER, AUTH_PASSWORD: PASS, API_KEY_AUTH_ENABLED: 'true', KEY_MIN_INTERVAL_MS: '0' },
  });
});
afterAll(async () => {
  await stack?.close();
});

const listKeys = async (): Promise<{ id: string; name: string; rateLimit: number }[]> =>
  ((await (await fetch(`${stack.url}/api/keys`, { headers: ADMIN })).json()) as { keys: { id: string; name: string; rateLimit: number }[] }).keys;

const expectCrossSiteRefusal = async (res: Response): Promise<void> => {
  expect(res.status).toBe(403);
  expect(await res.json()).toEqual({
    error: { message: expect.stringMatching(/Cross-site writes/) as string, type: 'permission_error', code: 'cross_site_request', param: null },
  });
};

describe('cross-site writes to the admin surface', () => {
  test('a POST with a foreign Origin and valid credentials is refused with 403; the same POST without Origin issues a key', async () => {
    const body = JSON.stringify({ name: 'forged' });
    await expectCrossSiteRefusal(await fetch(`${stack.url}/api/keys`, { method: 'POST', headers: { ...ADMIN, ...JSON_BODY, origin: FOREIGN }, body }));
    expect((await listKeys()).map((k) => k.name)).not.toContain('forged');

    const plain = await fetch(`${stack.url}/api/keys`, { method: 'POST', headers: { ...ADMIN, ...JSON_BODY }, body });
    expect(plain.status).toBe(201);
    expect((await listKeys()).map((k) => k.name)).toContain('forged');
  });

  test('the service’s own Origin (what the dashboard sends) is accepted', async () => {
    const res = await fetch(`${stack.url}/api/keys`, {
      method: 'POST',
      headers: { ...ADMIN, ...JSON_BODY, origin: new URL(stack.url).origin, 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ name: 'from the page' }),
    });
    expect(res.status).toBe(201);
  });

  test('PATCH and DELETE with a foreign Origin or Sec-Fetch-Site: cross-site change nothing', async () => {
    const k = await issueKey(stack.url, { name: 'target', rateLimit: 5 }, ADMIN);
    const attempts: [string, Record<string, string>][] = [
      ['PATCH', { origin: FOREIGN }],
      ['PATCH', { 'sec-fetch-site': 'cross-site' }],
      ['PATCH', { 'sec-fetch-site': 'same-site' }],
      ['PATCH', { origin: 'null' }],
      ['DELETE', { origin: FOREIGN }],
      ['DELETE', { 'sec-fetch-site': 'cross-site' }],
    ];
    for (const [method, headers] of attempts) {
      const res = await fetch(`${stack.url}/api/keys/${k.id}`, {
        method,
        headers: { ...ADMIN, ...JSON_BODY, ...headers },
        body: method === 'PATCH' ? JSON.stringify({ rateLimit: 0 }) : undefined,
      });
      await expectCrossSiteRefusal(res);
    }
    expect((await listKeys()).find((x) => x.id === k.id)?.rateLimit).toBe(5);
    expect((await chat(stack.url, 'still valid', { headers: { authorization: `Bearer ${k.key}` } })).status).toBe(200);
  });

  test('reads with a foreign Origin are not refused (the browser keeps their answers from the other site)', async () => {
    expect((await fetch(`${stack.url}/api/status`, { headers: { ...ADMIN, origin: FOREIGN } })).status).toBe(200);
  });

  test('without credentials a cross-site write still gets the 401 challenge first', async () => {
    const res = await fetch(`${stack.url}/api/keys`, { method: 'POST', headers: { ...JSON_BODY, origin: FOREIGN }, body: '{"name":"x"}' });
    expect(res.status).toBe(401);
  });
});

describe('the dashboard page', () => {
  test('is on the admin surface: 401 without credentials', async () => {
    expect((await fetch(`${stack.url}/admin`)).status).toBe(401);
    expect((await fetch(`${stack.url}/admin/assets/main.js`)).status).toBe(401);
  });

  test('carries a Content-Security-Policy without inline scripts, and loads only its own files', async () => {
    const res = await fetch(`${stack.url}/admin`, { headers: ADMIN });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/admin\/assets\/[a-z-]+\.js"/);
      expect(body?.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ['main.js', 'view-model.js', 'dashboard.css', 'icon.svg']) {
      const a = await fetch(`${stack.url}/admin/assets/${asset}`, { headers: ADMIN });
      expect(a.status, asset).toBe(200);
      expect(await a.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    }
  });

  test('serves nothing but its own assets: no declarations, no path tricks', async () => {
    for (const path of ['/admin/assets/main.d.ts', '/admin/assets/.tsbuildinfo', '/admin/assets/..%2Fsrc%2Fmain.ts', '/admin/assets/dashboard.html', '/admin/assets/nope.js']) {
      const res = await fetch(`${stack.url}${path}`, { headers: ADMIN });
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ error: { type: 'not_found_error' } });
    }
  });

  test('Bull Board keeps working next to it', async () => {
    expect((await fetch(`${stack.url}/admin/queues`, { headers: ADMIN })).status).toBe(200);
    expect((await fetch(`${stack.url}/admin/queues/api/queues`, { headers: ADMIN })).status).toBe(200);
  });

  test('neither the page nor its data holds an upstream key or a client key’s hash', async () => {
    const client = await issueKey(stack.url, { name: 'used' }, ADMIN);
    expect((await chat(stack.url, 'counted', { headers: { authorization: `Bearer ${client.key}` } })).status).toBe(200);
    const bodies = await Promise.all(
      ['/admin', '/api/status', '/api/keys', `/api/keys/${client.id}`, '/admin/assets/main.js'].map(async (p) => (await fetch(`${stack.url}${p}`, { headers: ADMIN })).text()),
    );
    for (const body of bodies) {
      for (const upstreamKey of stack.keys) expect(body).not.toContain(upstreamKey.slice(12, 40));
      expect(body).not.toContain(hashClientKey(client.key));
      expect(body).not.toContain(client.key);
    }
  });
});

describe('/api/status for the pool view', () => {
  test('counts upstream errors of the last hour by outcome', async () => {
    const client = await issueKey(stack.url, { name: 'errors' }, ADMIN);
    const read = async (): Promise<{ upstreamErrors: number; byOutcome: Record<string, number> }> =>
      ((await (await fetch(`${stack.url}/api/status`, { headers: ADMIN })).json()) as { lastHour: { upstreamErrors: number; byOutcome: Record<string, number> } })
        .lastHour;
    const before = await read();
    await stack.sim.configure({ faults: [{ status: 400, times: 1 }] });
    expect((await chat(stack.url, 'refused upstream', { headers: { authorization: `Bearer ${client.key}` } })).status).toBe(400);
    const after = await waitFor(async () => {
      const now = await read();
      return now.upstreamErrors > before.upstreamErrors ? now : undefined;
    }, 'the error to be counted');
    expect(after.upstreamErrors).toBe(before.upstreamErrors + 1);
    expect(after.byOutcome['client-error']).toBe((before.byOutcome['client-error'] ?? 0) + 1);
  });
});
