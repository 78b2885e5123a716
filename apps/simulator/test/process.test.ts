import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findViolations, SIMULATOR_MAIN, spawnSimulator, type SpawnedSimulator } from '../src/index.js';
import { chat, get, KEY_A, post, waitFor } from './helpers.js';

// Runs the built CLI, so it needs `tsc -b` first (the root `npm test` does that).
describe.runIf(existsSync(SIMULATOR_MAIN))('simulator as a separate process', () => {
  let sim: SpawnedSimulator;

  beforeAll(async () => {
    sim = await spawnSimulator({ SIM_PER_MINUTE: '2', SIM_VALID_KEYS: `${KEY_A},sk-or-v1-second` });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('announces its URL and serves the API', async () => {
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}/api/v1`);
    expect(await sim.health()).toBe(true);
    expect((await get(sim.url, '/models', null)).status).toBe(200);
  });

  it('exposes records, configure and reset over the control routes', async () => {
    await sim.reset();
    expect((await post(sim.url, '/chat/completions', chat('a'))).status).toBe(200);
    expect((await post(sim.url, '/chat/completions', chat('b'))).status).toBe(200);
    expect((await post(sim.url, '/chat/completions', chat('c'))).status).toBe(429);
    expect((await post(sim.url, '/chat/completions', chat('d'), { key: 'sk-or-v1-not-listed' })).status).toBe(401);

    const recs = await sim.records();
    expect(recs.map((r) => [r.seq, r.status, r.limited])).toEqual([
      [1, 200, false],
      [2, 200, false],
      [3, 429, true],
      [4, 401, false],
    ]);
    expect((await sim.records(2)).map((r) => r.seq)).toEqual([3, 4]);
    expect(findViolations(recs, { perMinute: 2 })).toHaveLength(1);

    // Infinity travels as null and switches the limit off.
    await sim.configure({ perMinute: Infinity, faults: [{ status: 503, times: 1 }] });
    expect((await post(sim.url, '/chat/completions', chat('e'))).status).toBe(503);
    expect((await post(sim.url, '/chat/completions', chat('f'))).status).toBe(200);

    await sim.reset();
    expect(await sim.records()).toEqual([]);
  });

  it('rejects malformed configure patches', async () => {
    const res = await fetch(sim.url.replace('/api/v1', '/__sim/configure'), { method: 'POST', body: '{"perMinute":"x"}' });
    expect(res.status).toBe(400);
  });

  it('exits on SIGTERM', async () => {
    const other = await spawnSimulator();
    process.kill(other.pid, 'SIGTERM');
    await waitFor(async () => !(await other.health()));
    await other.close();
  });
});
