import type { SimRecord } from './types.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The fields the checks need, so records fetched over HTTP (plain JSON) qualify too. */
export type CheckedRecord = Pick<SimRecord, 'key' | 'path' | 'hrMs' | 'receivedAtMs'> &
  Partial<Pick<SimRecord, 'account' | 'free'>> & { departedAtMs?: number | null };

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
  /**
   * Whose minute and day are checked: each key's (default), or each account's, as OpenRouter
   * counts them (records carry the account the simulator assigned).
   */
  limitsPer?: 'key' | 'account';
  /** Whose spacing is checked: each key's (default) or each account's. */
  spacingPer?: 'key' | 'account';
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

/** One model request on one time line: `t` orders and spaces, `dayMs` picks the UTC day. */
interface Stamp {
  t: number;
  dayMs: number;
}

type Timeline = 'arrival' | 'departure';

function stampOf(r: CheckedRecord, line: Timeline): Stamp | undefined {
  if (line === 'arrival') return { t: r.hrMs, dayMs: r.receivedAtMs };
  const d = r.departedAtMs;
  return typeof d === 'number' ? { t: d, dayMs: d } : undefined;
}

/** Paths whose requests OpenRouter counts toward a free model's limits. */
const MODEL_REQUEST = /\/(completions|responses|embeddings)$/;

/** A request a free-model limit covers: a model request of a checked key, not for a paid model. */
function isModelRequest(r: CheckedRecord, only: Set<string> | undefined): r is CheckedRecord & { key: string } {
  return r.key !== null && MODEL_REQUEST.test(r.path) && r.free !== false && (only === undefined || only.has(r.key));
}

type GroupBy = 'key' | 'account';

/**
 * Model-request stamps (completions, responses, embeddings) per key (or account) on one time line,
 * sorted; catalogue, /key, /generation, unauthenticated requests and requests for paid models
 * (which no free-model limit covers) are ignored.
 */
function stampsByKey(records: readonly CheckedRecord[], line: Timeline, only?: readonly string[], by: GroupBy = 'key'): Map<string, Stamp[]> {
  const filter = only === undefined ? undefined : new Set(only);
  const byKey = new Map<string, Stamp[]>();
  for (const r of records) {
    if (!isModelRequest(r, filter)) continue;
    const stamp = stampOf(r, line);
    if (stamp === undefined) continue;
    const group = by === 'account' ? (r.account ?? r.key) : r.key;
    let list = byKey.get(group);
    if (list === undefined) byKey.set(group, (list = []));
    list.push(stamp);
  }
  for (const list of byKey.values()) list.sort((a, b) => a.t - b.t);
  return byKey;
}

const noun = (line: Timeline): string => (line === 'arrival' ? 'requests' : 'departures');
const fmt = (ms: number): string => ms.toFixed(3);
const iso = (ms: number): string => new Date(ms).toISOString();

function spacing(key: string, list: Stamp[], minIntervalMs: number, label: Timeline): Violation | undefined {
  let count = 0;
  let worst = Infinity;
  let worstAt = 0;
  for (let i = 1; i < list.length; i++) {
    const gap = (list[i] as Stamp).t - (list[i - 1] as Stamp).t;
    if (gap < minIntervalMs) {
      count++;
      if (gap < worst) {
        worst = gap;
        worstAt = i;
      }
    }
  }
  if (count === 0) return undefined;
  const at = (list[worstAt] as Stamp).dayMs;
  return {
    key,
    kind: 'spacing',
    detail: `${count} ${label === 'departure' ? 'departure ' : ''}gap(s) below ${minIntervalMs} ms; smallest ${fmt(worst)} ms before request #${worstAt + 1} at ${iso(at)}`,
  };
}

/** Two pointers: for each stamp i, count stamps in [t_i, t_i + 60 000). */
function minute(key: string, list: Stamp[], perMinute: number, label: Timeline): Violation | undefined {
  let worst = 0;
  let worstStart = 0;
  let windows = 0;
  let j = 0;
  for (let i = 0; i < list.length; i++) {
    const end = (list[i] as Stamp).t + MINUTE_MS;
    if (j < i) j = i;
    while (j < list.length && (list[j] as Stamp).t < end) j++;
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
  const at = (list[worstStart] as Stamp).dayMs;
  return {
    key,
    kind: 'minute',
    detail: `${worst} ${noun(label)} in the 60 s window starting ${iso(at)} (limit ${perMinute}); ${windows} window start(s) over the limit`,
  };
}

function day(key: string, list: Stamp[], perDay: number, label: Timeline): Violation[] {
  const counts = new Map<number, number>();
  for (const r of list) {
    const d = Math.floor(r.dayMs / DAY_MS);
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  const out: Violation[] = [];
  for (const [d, n] of counts) {
    if (n > perDay) {
      const date = iso(d * DAY_MS).slice(0, 10);
      out.push({ key, kind: 'day', detail: `${n} ${noun(label)} on ${date} UTC (limit ${perDay})` });
    }
  }
  return out;
}

function violationsOn(line: Timeline, records: readonly CheckedRecord[], limits: LimitSpec, options: CheckOptions): Violation[] {
  const out: Violation[] = [];
  const each = (by: GroupBy, check: (name: string, list: Stamp[]) => void): void => {
    const groups = stampsByKey(records, line, options.countOnlyKeys, by);
    for (const name of [...groups.keys()].sort()) check(by === 'key' ? maskKey(name) : `account ${maskKey(name)}`, groups.get(name) as Stamp[]);
  };
  if (isOn(limits.minIntervalMs)) {
    const interval = limits.minIntervalMs;
    each(options.spacingPer ?? 'key', (name, list) => {
      const v = spacing(name, list, interval, line);
      if (v !== undefined) out.push(v);
    });
  }
  const { perMinute, perDay } = limits;
  each(options.limitsPer ?? 'key', (name, list) => {
    if (isOn(perMinute)) {
      const v = minute(name, list, perMinute, line);
      if (v !== undefined) out.push(v);
    }
    if (isOn(perDay)) out.push(...day(name, list, perDay, line));
  });
  return out;
}

/**
 * What a test asserts about upstream traffic as the fake saw it arrive: one violation per key
 * and kind (per day for 'day'), so a badly broken run stays readable. Empty = every limit held.
 * Arrival stamps can run late when the fake's process is starved of CPU; see checkLimits.
 */
export function findViolations(records: readonly CheckedRecord[], limits: LimitSpec, options: CheckOptions = {}): Violation[] {
  return violationsOn('arrival', records, limits, options);
}

/**
 * How late the fake may stamp an arrival before a short arrival gap counts against the gateway.
 * On a loaded two-core machine stamps ran up to 86 ms late (docs/RELIABILITY.md); 250 ms leaves room.
 */
export const ARRIVAL_TOLERANCE_MS = 250;

export interface LimitReport {
  /** The promise, checked exactly on the workers' departure stamps: must be empty. */
  departures: Violation[];
  /** Completion records of the checked keys without a departure stamp (a gateway without TEST_HOOKS). */
  missingDepartures: number;
  /**
   * Arrivals as the fake stamped them: spacing allowing `arrivalToleranceMs` of lateness, minute
   * and day exactly (the gateway keeps a 1 s margin on both). For reporting; arrival stamps can lie.
   */
  arrivals: Violation[];
  arrivalToleranceMs: number;
}

/** Both views of one run: departures (asserted) and arrivals with a stated tolerance (reported). */
export function checkLimits(
  records: readonly CheckedRecord[],
  limits: LimitSpec,
  options: CheckOptions & { arrivalToleranceMs?: number } = {},
): LimitReport {
  const tolerance = options.arrivalToleranceMs ?? ARRIVAL_TOLERANCE_MS;
  const filter = options.countOnlyKeys === undefined ? undefined : new Set(options.countOnlyKeys);
  const missing = records.filter((r) => isModelRequest(r, filter) && typeof r.departedAtMs !== 'number').length;
  const spacingWithTolerance = isOn(limits.minIntervalMs) ? Math.max(0, limits.minIntervalMs - tolerance) : 0;
  return {
    departures: violationsOn('departure', records, limits, options),
    missingDepartures: missing,
    arrivals: violationsOn('arrival', records, { ...limits, minIntervalMs: spacingWithTolerance }, options),
    arrivalToleranceMs: tolerance,
  };
}

/** Per key, how close together its completion requests actually arrived. */
export function spacingStats(records: readonly CheckedRecord[], options: CheckOptions = {}): SpacingStat[] {
  const byKey = stampsByKey(records, 'arrival', options.countOnlyKeys);
  return [...byKey.keys()].sort().map((rawKey) => {
    const list = byKey.get(rawKey) as Stamp[];
    let min = Infinity;
    for (let i = 1; i < list.length; i++) {
      min = Math.min(min, (list[i] as Stamp).t - (list[i - 1] as Stamp).t);
    }
    return { key: maskKey(rawKey), requests: list.length, minGapMs: list.length < 2 ? null : min };
  });
}
