import type { HistogramSpec, LabelValues, MetricSpec } from './metric-catalog.js';

/**
 * How one series is stored: a field of the metric's Redis hash, named by the part (`v` a
 * counter's value, `b<i>` a histogram bucket, `s` its sum, `c` its count) and the label values
 * in the spec's order, as JSON so any label value round-trips.
 */
export type FieldPart = 'v' | 's' | 'c' | `b${number}`;

export function encodeField(part: FieldPart, labelValues: readonly string[]): string {
  return JSON.stringify([part, ...labelValues]);
}

export function decodeField(field: string): { part: string; labelValues: string[] } | undefined {
  try {
    const parsed: unknown = JSON.parse(field);
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) return undefined;
    const [part, ...labelValues] = parsed;
    return part === undefined ? undefined : { part, labelValues };
  } catch {
    return undefined;
  }
}

export function labelValuesOf<L extends string>(spec: MetricSpec, labels: LabelValues<L>): string[] {
  return spec.labels.map((name) => (labels as Record<string, string>)[name] ?? '');
}

/** Index of the first bucket whose bound holds `value`; `buckets.length` stands for +Inf. */
export function bucketIndex(spec: HistogramSpec, value: number): number {
  const i = spec.buckets.findIndex((bound) => value <= bound);
  return i === -1 ? spec.buckets.length : i;
}
