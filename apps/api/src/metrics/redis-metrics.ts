import { Counter, type Metric, type Registry } from 'prom-client';
import { counterSeries, histogramSeries, type CounterSpec, type HistogramSpec, type MetricSpec } from '@ork/shared';

/** Reads one metric's Redis hash (field -> value). */
export type HashReader = (spec: MetricSpec) => Promise<Record<string, string>>;

function redisCounter(spec: CounterSpec, registry: Registry, read: HashReader): void {
  new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labels,
    registers: [registry],
    // The deployment's totals live in Redis; each scrape replaces this process's copy with them.
    async collect() {
      const series = counterSeries(spec, await read(spec));
      this.reset();
      for (const { labels, value } of series) this.inc(labels, value);
    },
  });
}

function redisHistogram(spec: HistogramSpec, registry: Registry, read: HashReader): void {
  const bounds = [...spec.buckets.map(String), '+Inf'];
  // prom-client's Histogram cannot be loaded with counts from elsewhere; the registry only needs
  // get() (the public shape every metric returns), so this object provides that and nothing else.
  const metric = {
    name: spec.name,
    help: spec.help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const values = histogramSeries(spec, await read(spec)).flatMap(({ labels, cumulative, sum, count }) => [
        ...cumulative.map((value, i) => ({ metricName: `${spec.name}_bucket`, labels: { ...labels, le: bounds[i] ?? '+Inf' }, value })),
        { metricName: `${spec.name}_sum`, labels, value: sum },
        { metricName: `${spec.name}_count`, labels, value: count },
      ]);
      return { name: spec.name, help: spec.help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  registry.registerMetric(metric as unknown as Metric);
}

/** Registers every counter and histogram of the catalog, read from Redis at each scrape. */
export function registerRedisMetrics(registry: Registry, specs: readonly MetricSpec[], read: HashReader): void {
  for (const spec of specs) {
    if (spec.kind === 'counter') redisCounter(spec, registry, read);
    else redisHistogram(spec, registry, read);
  }
}
