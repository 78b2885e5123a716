import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';
import { chat, KEY_A, KEY_B, post } from './helpers.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ perMinute: 1000 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
  sim.configure({ latencyMs: 0 });
});

const send = (key = KEY_A, headers: Record<string, string> = {}): ReturnType<typeof post> =>
  post(sim.url, '/chat/completions', chat('hello'), { key, headers });

describe('latency', () => {
  it('delays only the request carrying x-sim-latency-ms', async () => {
    const t0 = performance.now();
    const slow = send(KEY_A, { 'x-sim-latency-ms': '200' }).then((r) => ({ r, ms: performance.now() - t0 }));
    const fast = await send(KEY_B);
    const fastMs = performance.now() - t0;
    const { r, ms } = await slow;
    expect(fast.status).toBe(200);
    expect(r.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(195);
    expect(fastMs).toBeLessThan(ms);
  });

  it('applies latencyMs to every completion, overridable down to zero', async () => {
    sim.configure({ latencyMs: 120 });
    let t0 = performance.now();
    await send();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(115);
    t0 = performance.now();
    await send(KEY_A, { 'x-sim-latency-ms': '0' });
    expect(performance.now() - t0).toBeLessThan(115);
  });
});

describe('forced responses', () => {
  it('forces a status with an OpenRouter-style body via x-sim-force-status', async () => {
    const r = await send(KEY_A, { 'x-sim-force-status': '500' });
    expect(r.status).toBe(500);
    expect(r.json).toEqual({ error: { message: 'Internal Server Error', code: 500 } });
    const r2 = await send(KEY_A, { 'x-sim-force-status': '503' });
    expect(r2.json).toMatchObject({ error: { code: 503 } });
    expect(sim.records().map((x) => x.status)).toEqual([500, 503]);
  });

  it('consumes queued faults in order, per key or global, before normal handling', async () => {
    sim.configure({
      faults: [
        { key: KEY_B, status: 502, times: 2 },
        { status: 429, body: { error: { message: 'upstream busy', code: 429 } }, headers: { 'Retry-After': '7' } },
        { status: 200, body: 'not json at all' },
      ],
    });
    const b1 = await send(KEY_B);
    const a1 = await send(KEY_A);
    const b2 = await send(KEY_B);
    const a2 = await send(KEY_A);
    const a3 = await send(KEY_A);
    const b3 = await send(KEY_B);
    expect([b1.status, a1.status, b2.status, a2.status, a3.status, b3.status]).toEqual([502, 429, 502, 200, 200, 200]);
    expect(b1.json).toEqual({ error: { message: 'Provider returned error', code: 502 } });
    expect(a1.json).toEqual({ error: { message: 'upstream busy', code: 429 } });
    expect(a1.headers.get('retry-after')).toBe('7');
    expect(a2.text).toBe('not json at all');
    expect((a3.json as { object: string }).object).toBe('chat.completion');
    expect(sim.records()).toHaveLength(6);
  });

  it('applies faults before auth and can delay them', async () => {
    sim.configure({ faults: [{ status: 504, delayMs: 100 }] });
    const t0 = performance.now();
    const r = await post(sim.url, '/chat/completions', chat('x'), { key: null });
    expect(r.status).toBe(504);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    expect((await post(sim.url, '/chat/completions', chat('x'), { key: null })).status).toBe(401);
  });

  it('keeps an Infinity fault until replaced, and reset clears it', async () => {
    sim.configure({ faults: [{ key: KEY_A, status: 500, times: Infinity }] });
    for (let i = 0; i < 3; i++) expect((await send(KEY_A)).status).toBe(500);
    sim.reset();
    expect((await send(KEY_A)).status).toBe(200);
  });
});

describe('lifecycle', () => {
  it('closes promptly despite idle keep-alive sockets, and close is idempotent', async () => {
    const s = await startSimulator();
    // fetch keeps its socket pooled; close must not wait 65 s for it.
    await post(s.url, '/chat/completions', chat('x'));
    const t0 = performance.now();
    await Promise.all([s.close(), s.close()]);
    await s.close();
    expect(performance.now() - t0).toBeLessThan(2000);
    await expect(fetch(`${s.url}/models`)).rejects.toThrow();
  });
});
