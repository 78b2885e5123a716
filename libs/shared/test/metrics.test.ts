import { Redis } from 'ioredis';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { METRICS } from '../src/metrics/metric-catalog.js';
import { connectRedis } from '../src/redis/connections.js';
import { counterSeries, histogramSeries, readMetricHashes } from '../src/metrics/metrics-reader.js';
import { MetricsRecorder } from '../src/metrics/metrics-recorder.js';
import { redisFixture } from './redis-fixture.js';

let fx: ReturnType<typeof redisFixture>;
beforeEach(() => {
  fx = redisFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

const read = async () => readMetricHashes(fx.redis, fx.keys.prefix, [METRICS.tokens, METRICS.upstreamDuration]);

test('increments add up in memory and reach Redis in one flush; several recorders share the totals', async () => {
  const one = new MetricsRecorder({ redis: fx.redis, prefix: fx.keys.prefix, flushEveryMs: 60_000 });
  const two = new MetricsRecorder({ redis: fx.redis, prefix: fx.keys.prefix, flushEveryMs: 60_000 });
  one.inc(METRICS.tokens, { key_id: 'k1', kind: 'prompt' }, 3);
  one.inc(METRICS.tokens, { key_id: 'k1', kind: 'prompt' }, 4);
  two.inc(METRICS.tokens, { key_id: 'k1', kind: 'prompt' }, 5);
  two.inc(METRICS.tokens, { key_id: 'k"2', kind: 'completion' });
  expect(counterSeries(METRICS.tokens, (await read()).get(METRICS.tokens.name)!)).toEqual([]);
  await Promise.all([one.close(), two.close()]);
  const series = counterSeries(METRICS.tokens, (await read()).get(METRICS.tokens.name)!);
  expect(series).toEqual(
    expect.arrayContaining([
      { labels: { key_id: 'k1', kind: 'prompt' }, value: 12 },
      // Any label value round-trips, quotes included.
      { labels: { key_id: 'k"2', kind: 'completion' }, value: 1 },
    ]),
  );
  expect(series).toHaveLength(2);
});

test('histograms: each value lands in the first bucket that holds it; read back cumulative with sum and count', async () => {
  const recorder = new MetricsRecorder({ redis: fx.redis, prefix: fx.keys.prefix, flushEveryMs: 60_000 });
  for (const seconds of [0.05, 0.1, 0.3, 2, 1_000]) recorder.observe(METRICS.upstreamDuration, { key_id: 'k1' }, seconds);
  await recorder.close();
  const [series] = histogramSeries(METRICS.upstreamDuration, (await read()).get(METRICS.upstreamDuration.name)!);
  const bounds = METRICS.upstreamDuration.buckets;
  expect(series?.labels).toEqual({ key_id: 'k1' });
  expect(series?.count).toBe(5);
  expect(series?.sum).toBeCloseTo(1_002.45, 6);
  const at = (bound: number): number | undefined => series?.cumulative[bounds.indexOf(bound)];
  expect([at(0.1), at(0.25), at(0.5), at(2.5), at(300)]).toEqual([2, 2, 3, 4, 4]);
  // The last one is +Inf: every observation.
  expect(series?.cumulative.at(-1)).toBe(5);
  expect(series?.cumulative).toHaveLength(bounds.length + 1);
});

test('while Redis cannot be written, increments are kept and go out with the next flush', async () => {
  // An API-style client: fails at once instead of queueing while disconnected.
  const offline = new Redis(fx.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  const errors: unknown[] = [];
  const recorder = new MetricsRecorder({ redis: offline, prefix: fx.keys.prefix, flushEveryMs: 60_000, onError: (err) => errors.push(err) });
  recorder.inc(METRICS.tokens, { key_id: 'k1', kind: 'prompt' }, 2);
  await recorder.flush();
  expect(errors).toHaveLength(1);
  recorder.inc(METRICS.tokens, { key_id: 'k1', kind: 'prompt' }, 1);
  await connectRedis(offline, fx.url);
  await recorder.close();
  offline.disconnect();
  expect(counterSeries(METRICS.tokens, (await read()).get(METRICS.tokens.name)!)).toEqual([{ labels: { key_id: 'k1', kind: 'prompt' }, value: 3 }]);
});
