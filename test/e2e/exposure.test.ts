import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { createNetNamespace } from '../support/netns.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request with headers fetch will not let us set (Host). */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const CHAT = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'from a web page' }] });
const completions = async (s: Stack): Promise<number> => (await s.sim.records()).filter((r) => r.path.endsWith('completions')).length;

describe('a default install (no client keys, no admin auth)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0' } });
  });
  afterAll(async () => stack?.close());

  test('DNS rebinding: a loopback caller under a foreign Host gets 403 on the admin surface and the OpenAI routes', async () => {
    const host = { host: `rebind.attacker.example:${new URL(stack.url).port}` };
    for (const path of ['/api/status', '/api/keys', '/admin/queues', '/admin/queues/api/queues']) {
      const res = await send(`${stack.url}${path}`, 'GET', host);
      expect(res.status, path).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'host_not_allowed' } });
    }
    const created = await send(`${stack.url}/api/keys`, 'POST', { ...host, 'content-type': 'application/json' }, '{"name":"x"}');
    expect(created.status).toBe(403);
    const chat = await send(`${stack.url}/v1/chat/completions`, 'POST', { ...host, 'content-type': 'application/json' }, CHAT);
    expect(chat.status).toBe(403);
    expect(await completions(stack)).toBe(0);
    // The same requests under the address or localhost are served.
    expect((await send(`${stack.url}/api/status`, 'GET', {})).status).toBe(200);
    expect((await send(`${stack.url}/api/status`, 'GET', { host: 'localhost' })).status).toBe(200);
  });

  test('a cross-origin browser request under the default CORS setting is refused and spends nothing', async () => {
    const origin = { origin: 'https://any-page.example' };
    const preflight = await send(`${stack.url}/v1/chat/completions`, 'OPTIONS', {
      ...origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const res = await send(`${stack.url}/v1/chat/completions`, 'POST', { ...origin, 'content-type': 'application/json' }, CHAT);
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'origin_not_allowed' } });
    expect(await completions(stack)).toBe(0);
    // Without an Origin (SDKs, n8n, curl) it is served.
    expect((await send(`${stack.url}/v1/chat/completions`, 'POST', { 'content-type': 'application/json' }, CHAT)).status).toBe(200);
  });

  test('start-up says which origins may call', () => {
    expect(stack.logs()).toContain('browsers may call the OpenAI routes from no cross-origin browser caller');
  });
});

describe('options the operator sets', () => {
  test('ALLOWED_HOSTS names a host; with client keys required, any origin may call (the default *)', async () => {
    const s = await startStack({ keys: 1, env: { ALLOWED_HOSTS: 'gateway.internal', API_KEY_AUTH_ENABLED: 'true' } });
    try {
      expect((await send(`${s.url}/api/status`, 'GET', { host: 'gateway.internal' })).status).toBe(200);
      expect((await send(`${s.url}/api/status`, 'GET', { host: 'other.internal' })).status).toBe(403);
      const pre = await send(`${s.url}/v1/models`, 'OPTIONS', { origin: 'https://a.example', 'access-control-request-method': 'GET' });
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe('*');
    } finally {
      await s.close();
    }
  });

  test('listening beyond loopback with neither client keys nor admin auth logs a loud warning', async () => {
    const s = await startStack({ keys: 1, env: { HOST: '0.0.0.0' } });
    try {
      expect(s.logs()).toMatch(/"level":40.*WARNING: listening on 0\.0\.0\.0, beyond loopback, with API_KEY_AUTH_ENABLED=false and AUTH_ENABLED=false/);
    } finally {
      await s.close();
    }
  });
});

describe('TRUST_PROXY from another machine (a network namespace this test creates)', () => {
  test('a caller there with a spoofed X-Forwarded-For: 127.0.0.1 is refused, even though its address is a trusted proxy', async (ctx) => {
    const ns = await createNetNamespace();
    if ('skip' in ns) {
      ctx.skip(`skipped: ${ns.skip}`);
      return;
    }
    let stack: Stack | undefined;
    try {
      stack = await startStack({ keys: 1, env: { HOST: ns.hostAddress, TRUST_PROXY: `private,${ns.nsAddress}` } });
      const script = `fetch(process.argv[1], { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '127.0.0.1' }, body: '{"name":"from-ns"}' })
        .then(async (r) => console.log(r.status, await r.text())).catch((e) => { console.log('error', e.message); process.exit(1); })`;
      const { stdout } = await ns.exec(process.execPath, ['-e', script, `${stack.url}/api/keys`]);
      expect(stdout).toMatch(/^403 /);
      expect(stack.logs()).toContain(`${ns.nsAddress} reported a loopback caller, which only a proxy on this machine can`);
    } finally {
      await stack?.close();
      await ns.remove();
    }
  });
});
