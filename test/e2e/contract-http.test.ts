import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { RedisKeys, keyStateOf } from '@ork/shared';
import { chat, waitFor } from '../support/client.js';
import { fakeKey, startStack, type Stack } from '../support/stack.js';

const noLimits = { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' };

describe('CORS_ORIGINS', () => {
  let open: Stack;
  let star: Stack;
  let listed: Stack;
  beforeAll(async () => {
    open = await startStack({ keys: 1, env: noLimits });
    star = await startStack({ keys: 1, env: { ...noLimits, CORS_ORIGINS: '*' } });
    listed = await startStack({ keys: 1, env: { ...noLimits, CORS_ORIGINS: 'https://a.example, https://b.example' } });
  });
  afterAll(async () => {
    await open?.close();
    await star?.close();
    await listed?.close();
  });

  const preflight = (url: string, origin: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
  const post = (url: string, origin: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'cors' }] }),
    });

  test('unset without client keys: no web page may spend the pool (403, nothing upstream)', async () => {
    const res = await post(open.url, 'https://anywhere.example');
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await open.sim.records()).filter((r) => r.path.endsWith('/chat/completions'))).toEqual([]);
  });

  test('*: any origin may call, and may read Retry-After', async () => {
    const res = await post(star.url, 'https://anywhere.example');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toContain('retry-after');
  });

  test('a listed origin gets its own name back (with Vary: Origin) and its preflight answered', async () => {
    const res = await post(listed.url, 'https://b.example');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://b.example');
    expect(res.headers.get('vary')?.toLowerCase()).toContain('origin');

    const pre = await preflight(listed.url, 'https://a.example');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://a.example');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    expect(Number(pre.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  });

  test('an origin not listed gets no allow-origin header, so the browser refuses it', async () => {
    const pre = await preflight(listed.url, 'https://evil.example');
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const res = await post(listed.url, 'https://evil.example');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    // Nothing of this reached upstream but the listed origin's request above.
    const sent = (await listed.sim.records()).filter((r) => r.path.endsWith('/chat/completions'));
    expect(sent.length).toBeLessThanOrEqual(2);
  });

  test('the admin surface is not opened to browsers', async () => {
    const res = await fetch(`${open.url}/api/status`, { headers: { origin: 'https://anywhere.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('single requests against the contract', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  test('a request with no answer within QUEUE_TIMEOUT_MS gets a 504 in OpenAI shape', async () => {
    stack = await startStack({ keys: 1, env: { ...noLimits, QUEUE_TIMEOUT_MS: '1500' }, simulatorEnv: { SIM_LATENCY_MS: '3000' } });
    const res = await chat(stack.url, 'too slow');
    expect(res.status).toBe(504);
    expect(res.body).toEqual({
      error: { message: expect.stringContaining('QUEUE_TIMEOUT_MS') as unknown, type: 'timeout_error', code: 'queue_timeout', param: null },
    });
  });

  test('/readyz answers 503 once no key is usable, /healthz stays 200', async () => {
    stack = await startStack({ keys: 2, env: noLimits });
    const s = stack;
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    // Upstream now refuses both keys as invalid.
    await s.sim.configure({ validKeys: [fakeKey()] });
    for (let i = 0; i < 2; i++) await chat(s.url, `refused ${i}`);
    const ready = await waitFor(async () => {
      const res = await fetch(`${s.url}/readyz`);
      return res.status === 503 ? ((await res.json()) as Record<string, unknown>) : undefined;
    }, '/readyz to report no usable key');
    expect(ready).toEqual({ status: 'no usable key', redis: 'ok', usableKeys: 0 });
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });
});

describe('GET /api/status', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  test('carries every key (masked) with state, counts, limits, next slot, cooldown and queue; pool totals; clients', async () => {
    stack = await startStack({
      keys: 2,
      // Finished jobs kept, so the queue counts show them.
      env: { KEY_MIN_INTERVAL_MS: '100', KEY_REQUESTS_PER_MINUTE: '10', KEY_REQUESTS_PER_DAY: '20', JOB_RETENTION_SECONDS: '3600' },
    });
    const s = stack;
    for (let i = 0; i < 3; i++) expect((await chat(s.url, `status ${i}`)).status).toBe(200);
    // The answer reaches the client before BullMQ moves its job to completed: read the status once
    // the last job has finished in its queue too.
    const raw = await waitFor(async () => {
      const text = await (await fetch(`${s.url}/api/status`)).text();
      return (JSON.parse(text) as { pool: { active: number } }).pool.active === 0 ? text : undefined;
    }, 'the last job to finish in its queue');
    for (const secret of s.keys) expect(raw).not.toContain(secret.slice(12, -4));
    const body = JSON.parse(raw) as {
      time: string;
      pool: Record<string, number | null>;
      keys: Record<string, unknown>[];
      clients: Record<string, unknown>;
    };
    expect(Date.parse(body.time)).toBeGreaterThan(0);
    expect(body.pool).toMatchObject({
      keys: 2,
      usableKeys: 2,
      startedToday: 3,
      succeededToday: 3,
      failedToday: 0,
      dailyCapacity: 40,
      remainingToday: 37,
      thisMinute: 3,
      waiting: 0,
      active: 0,
    });
    expect(body.pool.promptTokensToday).toBeGreaterThan(0);
    expect(body.pool.completionTokensToday).toBeGreaterThan(0);
    const midnight = new Date((Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000).toISOString();
    for (const k of body.keys) {
      expect(k).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f]{8,}$/) as unknown,
        key: expect.stringMatching(/^sk-or-v1-.*…/) as unknown,
        state: 'active',
        disabledReason: null,
        limits: { minIntervalMs: 100, perMinute: 10, perDay: 20 },
        reserved: 0,
        cooldownUntil: null,
        resetsAt: midnight,
        queue: { waiting: 0, active: 0, delayed: 0, failed: 0 },
      });
      expect(Date.parse(k.nextFreeSlotAt as string)).toBeGreaterThan(0);
      expect(k.nextFreeSlotInMs).toBeGreaterThanOrEqual(0);
    }
    const sum = (f: (k: Record<string, unknown>) => number): number => body.keys.reduce((a, k) => a + f(k), 0);
    expect(sum((k) => (k.today as { started: number }).started)).toBe(3);
    expect(sum((k) => (k.today as { succeeded: number }).succeeded)).toBe(3);
    expect(sum((k) => k.thisMinute as number)).toBe(3);
    expect(sum((k) => (k.queue as { completed: number }).completed)).toBe(3);
    expect(body.clients).toMatchObject({ required: false, keys: 0, activeKeys: 0, requestsToday: 0 });

    // A key told to wait shows it: state, cooldownUntil, and its next slot no earlier.
    const id = body.keys[0]!.id as string;
    const until = Date.now() + 60_000;
    // Upstream's per-minute 429 cools the key's account down (each key is its own account here).
    const names = new RedisKeys(s.prefix);
    const accountBase = (await s.redis.hget(names.accountOfKey(), names.keyBase(id))) ?? names.keyBase(id);
    await s.redis.hset(keyStateOf(accountBase), 'cooldownUntil', until);
    const after = (await (await fetch(`${s.url}/api/status`)).json()) as { pool: { usableKeys: number }; keys: Record<string, unknown>[] };
    const cooled = after.keys.find((k) => k.id === id)!;
    expect(cooled).toMatchObject({ state: 'cooling-down', cooldownUntil: new Date(until).toISOString() });
    expect(Date.parse(cooled.nextFreeSlotAt as string)).toBeGreaterThanOrEqual(until);
    expect(after.pool.usableKeys).toBe(2);
  });
});
