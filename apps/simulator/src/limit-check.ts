import type { SimRecord } from './types.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The fields the checks need, so records fetched over HTTP (plain JSON) qualify too. */
export type CheckedRecord = Pick<SimRecord, 'key' | 'path' | 'hrMs' | 'receivedAtMs'>;

export interface LimitSpec {
  /** Minimum gap between consecutive arrivals of one key; 0 / Infinity / omitted = off. */
  minIntervalMs?: number;
  /** Max arrivals of one key in any 60 000 ms window; 0 / Infinity / omitted = off. */
  perMinute?: number;
  /** Max arrivals of one key per UTC day; 0 / Infinity / omitted = off. */
  perDay?: number;
}

export interface CheckOptions {
  /** Only check these keys (unmasked); default all keys seen. */
  countOnlyKeys?: readonly string[];
}

export interface Violation {
  /** Masked key: first 12 chars + '…' + last 4. */
  key: string;
  kind: 'spacing' | 'minute' | 'day';
  detail: string;
}

export interface SpacingStat {
  /** Masked key. */
  key: string;
  requests: number;
  /** Smallest gap between consecutive arrivals in ms; null with fewer than two requests. */
  minGapMs: number | null;
}

export function maskKey(key: string): string {
  return key.length <= 16 ? key : `${key.slice(0, 12)}…${key.slice(-4)}`;
}

function isOn(limit: number | undefined): limit is number {
  return typeof limit === 'number' && limit > 0 && Number.isFinite(limit);
}

/** Paths whose requests OpenRouter counts toward a free model's limits. */
const MODEL_REQUEST = /\/(completions|responses|embeddings)$/;

/** Model-request arrivals per key (completions, responses, embeddings), sorted by hrMs; catalogue, /key, /generation and unauthenticated requests are ignored. */
function arrivalsByKey(records: readonly CheckedRecord[], only?: readonly string[]): Map<string, CheckedRecord[]> {
  const filter = only === undefined ? undefined : new Set(only);
  const byKey = new Map<string, CheckedRecord[]>();
  for (const r of records) {
    if (r.key === null || !MODEL_REQUEST.test(r.path)) continue;
    if (filter !== undefined && !filter.has(r.key)) continue;
    let list = byKey.get(r.key);
    if (list === undefined) byKey.set(r.key, (list = []));
    list.push(r);
  }
  for (const list of byKey.values()) list.sort((a, b) => a.hrMs - b.hrMs);
  return byKey;
}

const fmt = (ms: number): string => ms.toFixed(3);
const iso = (ms: number): string => new Date(ms).toISOString();

function spacing(key: string, list: CheckedRecord[], minIntervalMs: number): Violation | undefined {
  let count = 0;
  let worst = Infinity;
  let worstAt = 0;
  for (let i = 1; i < list.length; i++) {
    const gap = (list[i] as CheckedRecord).hrMs - (list[i - 1] as CheckedRecord).hrMs;
    if (gap < minIntervalMs) {
      count++;
      if (gap < worst) {
        worst = gap;
        worstAt = i;
      }
    }
  }
  if (count === 0) return undefined;
  const at = (list[worstAt] as CheckedRecord).receivedAtMs;
  return {
    key,
    kind: 'spacing',
    detail: `${count} gap(s) below ${minIntervalMs} ms; smallest ${fmt(worst)} ms before request #${worstAt + 1} at ${iso(at)}`,
  };
}

/** Two pointers: for each arrival i, count arrivals in [t_i, t_i + 60 000). */
function minute(key: string, list: CheckedRecord[], perMinute: number): Violation | undefined {
  let worst = 0;
  let worstStart = 0;
  let windows = 0;
  let j = 0;
  for (let i = 0; i < list.length; i++) {
    const end = (list[i] as CheckedRecord).hrMs + MINUTE_MS;
    if (j < i) j = i;
    while (j < list.length && (list[j] as CheckedRecord).hrMs < end) j++;
    const n = j - i;
    if (n > perMinute) {
      windows++;
      if (n > worst) {
        worst = n;
        worstStart = i;
      }
    }
  }
  if (windows === 0) return undefined;
  const at = (list[worstStart] as CheckedRecord).receivedAtMs;
  return {
    key,
    kind: 'minute',
    detail: `${worst} requests in the 60 s window starting ${iso(at)} (limit ${perMinute}); ${windows} window start(s) over the limit`,
  };
}

function day(key: string, list: CheckedRecord[], perDay: number): Violation[] {
  const counts = new Map<number, number>();
  for (const r of list) {
    const d = Math.floor(r.receivedAtMs / DAY_MS);
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  const out: Violation[] = [];
  for (const [d, n] of counts) {
    if (n > perDay) {
      const date = iso(d * DAY_MS).slice(0, 10);
      out.push({ key, kind: 'day', detail: `${n} requests on ${date} UTC (limit ${perDay})` });
    }
  }
  return out;
}

/**
 * What a test asserts about upstream traffic: one violation per key and kind (per day for
 * 'day'), so a badly broken run stays readable. Empty array = every limit was respected.
 */
export function findViolations(records: readonly CheckedRecord[], limits: LimitSpec, options: CheckOptions = {}): Violation[] {
  const out: Violation[] = [];
  const byKey = arrivalsByKey(records, options.countOnlyKeys);
  const keys = [...byKey.keys()].sort();
  for (const rawKey of keys) {
    const list = byKey.get(rawKey) as CheckedRecord[];
    const key = maskKey(rawKey);
    if (isOn(limits.minIntervalMs)) {
      const v = spacing(key, list, limits.minIntervalMs);
      if (v !== undefined) out.push(v);
    }
    if (isOn(limits.perMinute)) {
      const v = minute(key, list, limits.perMinute);
      if (v !== undefined) out.push(v);
    }
    if (isOn(limits.perDay)) out.push(...day(key, list, limits.perDay));
  }
  return out;
}

/** Per key, how close together its completion requests actually arrived. */
export function spacingStats(records: readonly CheckedRecord[], options: CheckOptions = {}): SpacingStat[] {
  const byKey = arrivalsByKey(records, options.countOnlyKeys);
  return [...byKey.keys()].sort().map((rawKey) => {
    const list = byKey.get(rawKey) as CheckedRecord[];
    let min = Infinity;
    for (let i = 1; i < list.length; i++) {
      min = Math.min(min, (list[i] as CheckedRecord).hrMs - (list[i - 1] as CheckedRecord).hrMs);
    }
    return { key: maskKey(rawKey), requests: list.length, minGapMs: list.length < 2 ? null : min };
  });
}
