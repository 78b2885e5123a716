import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { expect, test } from 'vitest';
import { chat, waitFor } from '../support/client.js';
import { PrivateRedis } from '../support/private-redis.js';
import { startStack } from '../support/stack.js';
import { stopAfterEach } from '../support/stop-after-each.js';
import { basic } from './admin-helpers.js';

const stopLater = stopAfterEach();

const open = { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' };

async function getCalls(r: Redis): Promise<number> {
  const info = await r.info('commandstats');
  return Number(/cmdstat_get:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

test('retries of an in-progress Idempotency-Key stop polling Redis once their clients leave', async () => {
  const redis = stopLater(await PrivateRedis.start());
  const stack = stopLater(await startStack({ keys: 1, redisUrl: redis.url, env: open, simulatorEnv: { SIM_LATENCY_MS: '4000' } }));
  const s = stack;
  const headers = { 'idempotency-key': 'slow-one' };
  const first = chat(s.url, 'slow', { headers });
  await waitFor(async () => (await s.sim.records()).length >= 1, 'the first attempt upstream');
  const abandoned = Array.from({ length: 20 }, () => {
    const controller = new AbortController();
    const p = chat(s.url, 'slow', { headers, signal: controller.signal }).catch(() => undefined);
    return { controller, p };
  });
  const probe = new Redis(redis.url);
  try {
    // They poll while their clients wait...
    const t0 = await getCalls(probe);
    await waitFor(async () => (await getCalls(probe)) - t0 >= 40, 'the retries to poll');
    for (const a of abandoned) a.controller.abort();
    await Promise.all(abandoned.map((a) => a.p));
    // ...and stop once they left: measure a window while the first attempt is still upstream.
    const settle = await getCalls(probe);
    await waitFor(async () => (await s.sim.records()).length >= 1 && (await getCalls(probe)) >= settle, 'a reading');
    const before = await getCalls(probe);
    await new Promise((r) => setTimeout(r, 1_000)); // a measuring window, not synchronisation
    const polled = (await getCalls(probe)) - before;
    expect(polled).toBeLessThan(20);
  } finally {
    probe.disconnect();
  }
  expect((await first).status).toBe(200);
});

test('a slow upload gets a 408 after BODY_READ_TIMEOUT_MS, not after QUEUE_TIMEOUT_MS', async () => {
  const stack = stopLater(await startStack({ keys: 1, env: { ...open, BODY_READ_TIMEOUT_MS: '1000', QUEUE_TIMEOUT_MS: '120000' } }));
  const { hostname, port } = new URL(stack.url);
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    });
    let text = '';
    const drip = setInterval(() => socket.write(' '), 200);
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => {
      clearInterval(drip);
      resolve(text);
    });
    socket.on('error', (err) => {
      clearInterval(drip);
      if (text) resolve(text);
      else reject(err);
    });
    socket.setTimeout(20_000, () => socket.destroy());
  });
  expect(answer).toMatch(/^HTTP\/1\.1 408/);
  expect(answer).toContain('"code":"malformed_request"');
});

test('failed admin logins are slowed down: after 30 failures from one address, 429 for the rest of the minute', async () => {
  const stack = stopLater(await startStack({ keys: 1, env: { ...open, AUTH_ENABLED: 'true', AUTH_USERNAME: 'admin', AUTH_PASSWORD: 'right' } }));
  const statusWith = async (pass: string): Promise<Response> => fetch(`${stack.url}/api/status`, { headers: { authorization: basic('admin', pass) } });
  for (let i = 0; i < 30; i++) expect((await statusWith(`guess-${i}`)).status).toBe(401);
  const blocked = await statusWith('right');
  expect(blocked.status).toBe(429);
  expect(await blocked.json()).toMatchObject({ error: { code: 'too_many_auth_failures' } });
  expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
});

test('an upstream error whose body is not JSON reaches the client in the OpenAI error shape', async () => {
  const stack = stopLater(await startStack({ keys: 1, env: open }));
  await stack.sim.configure({ faults: [{ status: 404, body: '<html><body>Not Found</body></html>', times: 1 }] });
  const res = await chat(stack.url, 'html please');
  expect(res.status).toBe(404);
  expect(res.body.error).toMatchObject({ type: 'upstream_error', code: 404 });
  expect(String((res.body.error as { message: string }).message)).toContain('not JSON: <html><body>Not Found</body></html>');
});
