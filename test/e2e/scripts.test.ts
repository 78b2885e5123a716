import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { expect, inject, test } from 'vitest';
import { TSX_BIN, runCommand } from '../support/processes.js';

// `npm run bench` and `npm run soak` as real processes, shortened: the harness still starts its
// stack, prints its tables and exits as documented (docs/BENCHMARKS.md, docs/RELIABILITY.md).
const BENCH = fileURLToPath(new URL('../../scripts/bench/run.ts', import.meta.url));
const SOAK = fileURLToPath(new URL('../../scripts/soak/run.ts', import.meta.url));

test('the bench, one quick scenario: its console table and the markdown for BENCHMARKS.md, exit 0', { timeout: 120_000 }, async () => {
  const bench = runCommand(TSX_BIN, [BENCH], { REDIS_URL: inject('redisUrl'), BENCH_QUICK: '1', BENCH_ONLY: 'latency' }, tmpdir());
  const code = await bench.exited;
  const out = bench.output();
  // Limits are off in this scenario: only a wrong answer or a crash fails it (targets missed on a busy machine do not).
  expect(code, out).toBe(0);
  expect(out).toContain('== 1. Added latency (limits off, simulator latency 0, 8 keys, 1 API + 1 worker process) ==');
  expect(out).toMatch(
    /^load +requests +direct p50 ms +direct p99 ms +direct max ms +proxied p50 ms +proxied p99 ms +proxied max ms +added p50 ms +added p99 ms +added max ms$/m,
  );
  expect(out).toMatch(/^sequential \(c=1\) +100 +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +-?[\d.]+ +-?[\d.]+ +-?[\d.]+$/m);
  expect(out).toMatch(/^concurrency 32 +600 /m);
  expect(out).toMatch(/^concurrency 256 +1000 /m);
  expect(out).toMatch(/^ {2}target added p50 at concurrency 32: -?[\d.]+ ms \(< 3 ms\) (met|MISSED)$/m);
  expect(out).toContain('----- markdown for docs/BENCHMARKS.md -----');
  expect(out).toContain(
    '| load | requests | direct p50 ms | direct p99 ms | direct max ms | proxied p50 ms | proxied p99 ms | proxied max ms | added p50 ms | added p99 ms | added max ms |',
  );
  expect(out).toMatch(/^\| sequential \(c=1\) \| 100 \| /m);
  expect(out).toMatch(/^\| added p99 at concurrency 32 \| -?[\d.]+ ms \| < 15 ms \| (met|MISSED) \|$/m);
  expect(out).toContain('----- end of markdown -----');
  // Only the scenario asked for ran.
  expect(out).not.toContain('Quota utilisation');
});

test('the soak, 5 seconds: its summary table, nothing lost, no wrong answer, an exit code that matches', { timeout: 120_000 }, async () => {
  const soak = runCommand(TSX_BIN, [SOAK], { REDIS_URL: inject('redisUrl'), SOAK_SECONDS: '5' }, tmpdir());
  const code = await soak.exited;
  const out = soak.output();
  const row = (measure: string): string | undefined =>
    out.split('\n').find((l) => l.startsWith(`| ${measure} | `))?.slice(measure.length + 5, -2);
  expect(out).toContain('| measure | value |');
  for (const measure of [
    'duration',
    'keys / worker processes / API processes',
    'limits',
    'requests sent (⅓ streamed)',
    'answered correctly',
    'failed, by cause',
    'wrong answers',
    'lost (no answer at all)',
    'upstream requests (incl. retries, re-runs after kills)',
    'worker kills',
    'limit violations (departure stamps, exact)',
    'requests without a departure stamp',
  ]) {
    expect(row(measure), `row "${measure}" in:\n${out}`).toBeDefined();
  }
  expect(row('limits')).toBe('100 ms spacing, 400/min');
  expect(Number(row('requests sent (⅓ streamed)'))).toBeGreaterThan(0);
  expect(Number(row('answered correctly'))).toBeGreaterThan(0);
  expect(row('lost (no answer at all)'), out).toBe('0');
  expect(row('wrong answers'), out).toBe('0');
  // The promise is checked exactly on the workers' departure stamps, every request carrying one; the
  // fake's arrival gaps are only reported (its stamps run late on a loaded machine: docs/RELIABILITY.md).
  expect(row('limit violations (departure stamps, exact)'), out).toBe('0');
  expect(row('requests without a departure stamp'), out).toBe('0');
  expect(out).toMatch(/\| arrival gaps under the limit at the fake \(its own stamps; beyond the 250 ms tolerance\) \| \d+ \(\d+\) \|/);
  expect(code, out).toBe(0);
});
