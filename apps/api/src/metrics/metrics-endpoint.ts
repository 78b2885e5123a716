import type { RedisClient } from '@ork/shared';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ALL_METRICS, RedisKeys, readMetricHashes } from '@ork/shared';
import { BackgroundGauges } from './background-gauges.js';
import type { KeyStatusReader } from '../status/key-status-reader.js';
import { KeyGauges } from './key-gauges.js';
import { registerRedisMetrics } from './redis-metrics.js';

/**
 * What `GET /metrics` renders: the deployment's counters and histograms (from Redis, written
 * by every API and worker process), per-key gauges read on scrape, and this process's own
 * Node.js metrics (`process_*`, `nodejs_*`).
 */
export class MetricsEndpoint {
  private readonly registry = new Registry();
  private readonly keyGauges: KeyGauges;
  private readonly backgroundGauges: BackgroundGauges;

  constructor(redis: RedisClient, prefix: string, statuses: KeyStatusReader) {
    collectDefaultMetrics({ register: this.registry });
    registerRedisMetrics(this.registry, ALL_METRICS, async (spec) => (await readMetricHashes(redis, prefix, [spec])).get(spec.name) ?? {});
    this.keyGauges = new KeyGauges(this.registry, statuses);
    this.backgroundGauges = new BackgroundGauges(this.registry, redis, new RedisKeys(prefix));
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    await Promise.all([this.keyGauges.update(), this.backgroundGauges.update()]);
    return this.registry.metrics();
  }
}
