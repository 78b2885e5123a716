import type { RedisClient } from '../redis/redis-client.js';
import type { CounterSpec, HistogramSpec, MetricSpec } from './metric-catalog.js';
import { decodeField } from './metric-fields.js';
import { metricKey } from './metrics-recorder.js';

export interface CounterSeries {
  labels: Record<string, string>;
  value: number;
}

export interface HistogramSeries {
  labels: Record<string, string>;
  /** Cumulative counts, one per bound of the spec and a last one for +Inf. */
  cumulative: number[];
  sum: number;
  count: number;
}

type Hash = Record<string, string>;

/** Every metric's hash in one round trip; a metric nobody recorded yet reads as empty. */
export async function readMetricHashes(redis: RedisClient, prefix: string, specs: readonly MetricSpec[]): Promise<Map<string, Hash>> {
  const tx = redis.pipeline();
  for (const spec of specs) tx.hgetall(metricKey(prefix, spec.name));
  const results = (await tx.exec()) ?? [];
  const out = new Map<string, Hash>();
  specs.forEach((spec, i) => {
    const [err, hash] = results[i] ?? [null, {}];
    if (err) throw err;
    out.set(spec.name, (hash ?? {}) as Hash);
  });
  return out;
}

function labelsOf(spec: MetricSpec, values: readonly string[]): Record<string, string> | undefined {
  // A field written under another label set (the catalog changed) is skipped, not misread.
  if (values.length !== spec.labels.length) return undefined;
  return Object.fromEntries(spec.labels.map((name, i) => [name, values[i] ?? '']));
}

export function counterSeries(spec: CounterSpec, hash: Hash): CounterSeries[] {
  const out: CounterSeries[] = [];
  for (const [field, raw] of Object.entries(hash)) {
    const decoded = decodeField(field);
    const labels = decoded?.part === 'v' ? labelsOf(spec, decoded.labelValues) : undefined;
    if (labels) out.push({ labels, value: Number(raw) });
  }
  return out;
}

export function histogramSeries(spec: HistogramSpec, hash: Hash): HistogramSeries[] {
  const bySeries = new Map<string, { labels: Record<string, string>; buckets: number[]; sum: number; count: number }>();
  for (const [field, raw] of Object.entries(hash)) {
    const decoded = decodeField(field);
    const labels = decoded ? labelsOf(spec, decoded.labelValues) : undefined;
    if (!decoded || !labels) continue;
    const id = JSON.stringify(decoded.labelValues);
    let series = bySeries.get(id);
    if (!series) bySeries.set(id, (series = { labels, buckets: Array<number>(spec.buckets.length + 1).fill(0), sum: 0, count: 0 }));
    const value = Number(raw);
    if (decoded.part === 's') series.sum = value;
    else if (decoded.part === 'c') series.count = value;
    else if (/^b\d+$/.test(decoded.part)) {
      const i = Number(decoded.part.slice(1));
      if (i < series.buckets.length) series.buckets[i] = value;
    }
  }
  return [...bySeries.values()].map(({ labels, buckets, sum, count }) => {
    let running = 0;
    return { labels, cumulative: buckets.map((n) => (running += n)), sum, count };
  });
}
