import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { expect, inject, test } from 'vitest';
import { tmpdir } from 'node:os';
import { TSX_BIN, runCommand } from '../support/processes.js';

const DEMO = fileURLToPath(new URL('../../scripts/demo/run.ts', import.meta.url));

test('npm run demo, short mode: the burst is answered with zero violations, the summary printed, the exit 0', async () => {
  const demo = runCommand(TSX_BIN, [DEMO], { REDIS_URL: inject('redisUrl'), DEMO_EXIT: '1' }, tmpdir());
  const code = await demo.exited;
  const out = demo.output();
  expect(code, out).toBe(0);
  expect(out).toContain('answered 30/30');
  expect(out).toContain('Limit violations seen by the fake OpenRouter: 0');
  expect(out).toMatch(/Bull Board \(queues\): +http:\/\/127\.0\.0\.1:\d+\/admin\/queues/);
  expect(out).toMatch(/Status \(keys, limits\): http:\/\/127\.0\.0\.1:\d+\/api\/status/);
  // Ten requests on each of the three keys, at least 300 ms apart where they arrived.
  const perKey = [...out.matchAll(/ (\d+) requests, closest two (\d+) ms apart/g)];
  expect(perKey.map((m) => Number(m[1]))).toEqual([10, 10, 10]);
  for (const m of perKey) expect(Number(m[2])).toBeGreaterThanOrEqual(300);
  // Its random Redis prefix is gone.
  const prefix = /prefix (demo-[0-9a-f]+)/.exec(out)?.[1];
  expect(prefix).toBeDefined();
  const redis = new Redis(inject('redisUrl'));
  try {
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  } finally {
    redis.disconnect();
  }
});

test('without Redis the demo says how to start one, in one line, and exits 1', async () => {
  const demo = runCommand(TSX_BIN, [DEMO], { REDIS_URL: 'redis://127.0.0.1:1', DEMO_EXIT: '1' }, tmpdir());
  expect(await demo.exited).toBe(1);
  const out = demo.output().trim();
  expect(out.split('\n')).toHaveLength(1);
  expect(out).toContain('Cannot reach Redis at redis://127.0.0.1:1');
  expect(out).toContain('docker compose up -d redis');
});
