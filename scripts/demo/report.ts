import { maskKey } from '@ork/shared';
import { findViolations, spacingStats, type CheckedRecord, type LimitSpec, type Violation } from '@ork/simulator';
import type { BurstResult } from './burst.js';

export interface DemoLimits {
  minIntervalMs: number;
  perMinute: number;
  perDay: number;
}

export interface Summary {
  perKey: { key: string; requests: number; minGapMs: number | null }[];
  violations: Violation[];
}

/** What the fake OpenRouter saw, per key: how many requests and how close together they arrived. */
export function summarise(records: readonly CheckedRecord[], keys: readonly string[], limits: LimitSpec): Summary {
  const perKey = keys.map((key) => {
    const [stat] = spacingStats(records, { countOnlyKeys: [key] });
    return { key: maskKey(key), requests: stat?.requests ?? 0, minGapMs: stat?.minGapMs ?? null };
  });
  return { perKey, violations: findViolations(records, limits) };
}

/** The lines printed after the burst; the demo test reads "answered N/N" and "limit violations: 0". */
export function reportLines({ count, result, summary, limits, url }: { count: number; result: BurstResult; summary: Summary; limits: DemoLimits; url: string }): string[] {
  const seconds = (result.elapsedMs / 1000).toFixed(1);
  const lines = [
    '',
    `Summary: answered ${result.answered}/${count} in ${seconds} s through ${summary.perKey.length} keys ` +
      `(each key: at least ${limits.minIntervalMs} ms apart, ${limits.perMinute}/min, ${limits.perDay}/day).`,
    ...summary.perKey.map(
      (k) => `  ${k.key.padEnd(22)} ${String(k.requests).padStart(3)} requests, closest two ${k.minGapMs === null ? '-' : `${k.minGapMs.toFixed(0)} ms`} apart`,
    ),
    `Limit violations seen by the fake OpenRouter: ${summary.violations.length}`,
    ...summary.violations.map((v) => `  ${v.key} ${v.kind}: ${v.detail}`),
    ...result.errors.slice(0, 5).map((e) => `  error: ${e}`),
    '',
    `Dashboard (admin):    ${url}/admin`,
    `Bull Board (queues):  ${url}/admin/queues`,
    `Status (keys, limits): ${url}/api/status`,
    `Metrics (Prometheus):  ${url}/metrics`,
    `Try it yourself:       curl ${url}/v1/chat/completions -H 'content-type: application/json' \\`,
    `                         -d '{"model": "any", "messages": [{"role": "user", "content": "Hello!"}]}'`,
  ];
  return lines;
}
