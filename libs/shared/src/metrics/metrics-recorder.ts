import type { RedisClient } from '../redis/redis-client.js';
import { RedisKeys } from '../limits/redis-keys.js';
import type { CounterSpec, HistogramSpec, LabelValues } from './metric-catalog.js';
import { bucketIndex, encodeField, labelValuesOf } from './metric-fields.js';

/** Where a metric's series live: one hash per metric. */
export function metricKey(prefix: string, metricName: string): string {
  return new RedisKeys(prefix).metric(metricName);
}

export interface MetricsRecorderOptions {
  redis: RedisClient;
  prefix: string;
  /** How often increments go to Redis; in between they add up in memory. @defaultValue 1000 */
  flushEveryMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * Adds to the deployment's counters and histograms in Redis. Calls only touch memory; a timer
 * sends what added up as one pipeline of HINCRBY, so the request path never waits for metrics.
 * What a failed flush held is kept for the next one (the map is bounded by the series count).
 */
export class MetricsRecorder {
  /** metric -> field -> increment; sums are floats and need HINCRBYFLOAT. */
  private pending = new Map<string, Map<string, { by: number; float: boolean }>>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private closed: Promise<void> | undefined;

  constructor(private readonly o: MetricsRecorderOptions) {
    this.timer = setInterval(() => void this.flush(), o.flushEveryMs ?? 1_000);
    this.timer.unref();
  }

  inc<L extends string>(spec: CounterSpec<L>, labels: LabelValues<L>, by = 1): void {
    if (by <= 0 || !Number.isFinite(by)) return;
    this.add(spec.name, encodeField('v', labelValuesOf(spec, labels)), by, false);
  }

  /** `value` in the metric's unit (seconds for the durations). */
  observe<L extends string>(spec: HistogramSpec<L>, labels: LabelValues<L>, value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    const values = labelValuesOf(spec, labels);
    this.add(spec.name, encodeField(`b${bucketIndex(spec, value)}`, values), 1, false);
    this.add(spec.name, encodeField('s', values), value, true);
    this.add(spec.name, encodeField('c', values), 1, false);
  }

  /** Sends everything added so far; one flush at a time. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.send());
    return this.flushing;
  }

  /** Stops the timer and sends what is left; safe to call twice. Call before closing Redis. */
  close(): Promise<void> {
    clearInterval(this.timer);
    this.closed ??= this.flush();
    return this.closed;
  }

  private add(metric: string, field: string, by: number, float: boolean): void {
    let fields = this.pending.get(metric);
    if (!fields) this.pending.set(metric, (fields = new Map<string, { by: number; float: boolean }>()));
    fields.set(field, { by: (fields.get(field)?.by ?? 0) + by, float });
  }

  private async send(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending].flatMap(([metric, fields]) => [...fields].map(([field, add]) => ({ metric, field, ...add })));
    this.pending = new Map();
    const tx = this.o.redis.pipeline();
    for (const { metric, field, by, float } of batch) {
      const key = metricKey(this.o.prefix, metric);
      if (float) tx.hincrbyfloat(key, field, by);
      else tx.hincrby(key, field, by);
    }
    let results: [Error | null, unknown][] | null = null;
    let failure: unknown;
    try {
      results = await tx.exec();
    } catch (err) {
      failure = err;
    }
    // Redis away: what did not reach it waits for the next flush rather than being lost.
    batch.forEach(({ metric, field, by, float }, i) => {
      const err = results ? results[i]?.[0] : failure;
      if (!err) return;
      failure ??= err;
      this.add(metric, field, by, float);
    });
    if (failure !== undefined) this.o.onError?.(failure);
  }
}
