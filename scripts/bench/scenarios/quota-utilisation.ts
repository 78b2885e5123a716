/**
 * Scenario 2, quota utilisation: 200 requests at once over 8 keys that may each start one request
 * every 250 ms. With 25 per key and the first at t=0, no scheduler can finish before 24 × 250 ms;
 * how close the gateway gets, without one request arriving upstream too early, is its utilisation.
 */
import { enforcedSpacingMs } from '@ork/shared';
import { checkLimits, findViolations, spacingStats, type SimRecord } from '@ork/simulator';
import { CHAT_PATH, createClient, loadProblem, runLoad, type LoadResult } from '../load.js';
import type { BenchOptions, BenchStack, Scenario, ScenarioResult } from '../result.js';
import { int, ms } from '../stats.js';
import { DEPARTURE_STAMPS } from '../gateway-env.js';

export const BURST = 200;
export const SPACING_MS = 250;
export const TARGET_RATIO = 1.03;

/** The spacing the gateway really enforces (its jitter margin included). */
const ENFORCED_MS = enforcedSpacingMs({ minIntervalMs: SPACING_MS });

/** The gateway settings this scenario needs. */
export const GATEWAY_ENV = {
  KEY_MIN_INTERVAL_MS: String(SPACING_MS),
  KEY_REQUESTS_PER_MINUTE: '0',
  KEY_REQUESTS_PER_DAY: '0',
  ...DEPARTURE_STAMPS,
};

/** The accounts variant: the 8 keys belong to 3 accounts, and the spacing holds per account. */
export const ACCOUNTS = 3;
export const ACCOUNTS_GATEWAY_ENV = { ...GATEWAY_ENV, KEY_MIN_INTERVAL_SCOPE: 'account' };
/** Key i belongs to account i mod 3 (3, 3 and 2 keys): the fake's SIM_ACCOUNTS. */
export function accountsSimEnv(keys: readonly string[]): Record<string, string> {
  return { SIM_ACCOUNTS: keys.map((k, i) => `${k}=acct-${i % ACCOUNTS}`).join(',') };
}

/** The same burst over 3 accounts: the accounts' capacity, not the keys', bounds the makespan. */
export const accountQuotaUtilisation: Scenario = (stack, opts) => quotaUtilisation(stack, { ...opts, accounts: ACCOUNTS });

/** `accounts` set: the keys belong to that many accounts, spaced per account. */
export async function quotaUtilisation(stack: BenchStack, { progress, accounts }: BenchOptions & { accounts?: number }): Promise<ScenarioResult> {
  const keys = stack.keys.length;
  // What one spacing covers: a key, or (the accounts variant) an account and all its keys.
  const lanes = accounts ?? keys;
  const spacingPer = accounts === undefined ? 'key' : 'account';
  const perKey = Math.ceil(BURST / lanes);
  const idealMs = (perKey - 1) * SPACING_MS;
  const client = createClient(stack.gateway.url, BURST);
  const problems: string[] = [];
  const check = (label: string, r: LoadResult): LoadResult => {
    const p = loadProblem(`quota utilisation, ${label}`, r);
    if (p) problems.push(p);
    return r;
  };
  let burst: LoadResult;
  try {
    // One request per key warms every hop; then every key's slot is allowed to come free again.
    if (accounts !== undefined) {
      // Spaced per account, the warm-up's own requests are 260 ms apart, and the very first ones a
      // cold simulator stamps late (lazy compilation, new sockets): warm it up once unchecked.
      progress('quota utilisation: cold warm-up (one request per key, not checked)');
      check('cold warm-up', await runLoad({ client, path: CHAT_PATH.proxied, concurrency: keys, total: keys, tag: 'quota cold' }));
      await new Promise((r) => setTimeout(r, 4 * SPACING_MS));
    }
    progress('quota utilisation: warm-up (one request per key)');
    check('warm-up', await runLoad({ client, path: CHAT_PATH.proxied, concurrency: keys, total: keys, tag: 'quota warm-up' }));
    await new Promise((r) => setTimeout(r, 4 * SPACING_MS));
    progress(`quota utilisation: burst of ${BURST} requests over ${keys} keys${accounts ? ` of ${accounts} accounts` : ''} at ${SPACING_MS} ms spacing per ${spacingPer}`);
    burst = check('burst', await runLoad({ client, path: CHAT_PATH.proxied, concurrency: BURST, total: BURST, maxDurationMs: 60_000, tag: 'quota burst' }));
  } finally {
    await client.close();
  }

  // The warm-up stays in the records checked: a too-early first burst request would count too.
  const content = (r: SimRecord): string => {
    const first = (r.body as { messages?: { content?: unknown }[] } | null)?.messages?.[0]?.content;
    return typeof first === 'string' ? first : '';
  };
  const records = (await stack.sim.control.records()).filter((r) => r.path.endsWith('/chat/completions') && !content(r).startsWith('quota cold'));
  const burstRecords = records.filter((r) => content(r).startsWith('quota burst'));
  // The promise, exactly, on the workers' departure stamps; the fake's arrival stamps only reported.
  const report = checkLimits(records, { minIntervalMs: SPACING_MS }, { spacingPer });
  const violations = report.departures;
  const shortArrivals = findViolations(records, { minIntervalMs: SPACING_MS }, { spacingPer }).length;
  if (report.missingDepartures > 0) problems.push(`quota utilisation: ${report.missingDepartures} request(s) without a departure stamp (TEST_HOOKS off?)`);
  const stats = spacingPer === 'key' ? spacingStats(burstRecords) : spacingStats(burstRecords.map((r) => ({ ...r, key: r.account })));
  const minGap = Math.min(...stats.map((s) => s.minGapMs ?? Infinity));
  const counts = stats.map((s) => s.requests);
  const byLane = spacingPer === 'key' ? burstRecords : burstRecords.map((r) => ({ ...r, key: r.account }));
  const meanGap = meanGapMs(byLane);
  const startSpread = firstArrivalSpreadMs(byLane);
  const arrivals = burstRecords.map((r) => r.hrMs);
  const upstreamSpanMs = arrivals.length ? Math.max(...arrivals) - Math.min(...arrivals) : NaN;
  const ratio = burst.makespanMs / idealMs;

  if (violations.length > 0) {
    problems.push(`quota utilisation: ${violations.length} limit violation(s): ${violations.map((v) => `${v.key} ${v.detail}`).join('; ')}`);
  }
  if (burstRecords.length !== BURST) problems.push(`quota utilisation: ${burstRecords.length} burst requests reached the simulator, expected ${BURST}`);

  return {
    id: accounts === undefined ? 'utilisation' : 'accounts',
    title:
      accounts === undefined
        ? `2. Quota utilisation (${BURST} requests at once, ${keys} keys, KEY_MIN_INTERVAL_MS=${SPACING_MS}, 1 API + 1 worker process)`
        : `5. Quota utilisation over accounts (${BURST} requests at once, ${keys} keys of ${accounts} accounts, KEY_MIN_INTERVAL_MS=${SPACING_MS} per account, 1 API + 1 worker process)`,
    header: ['requests', 'ideal ms', 'makespan ms', 'ratio', 'upstream span ms', 'first-start spread ms', 'min gap ms', 'mean gap ms', `per ${spacingPer}`, 'violations', 'short arrival gaps'],
    rows: [
      [
        String(BURST),
        int(idealMs),
        int(burst.makespanMs),
        ratio.toFixed(3),
        int(upstreamSpanMs),
        ms(startSpread, 1),
        ms(minGap, 1),
        ms(meanGap, 1),
        counts.length ? `${Math.min(...counts)}–${Math.max(...counts)}` : 'n/a',
        String(violations.length),
        String(shortArrivals),
      ],
    ],
    notes: [
      `ideal = (${perKey} − 1) × ${SPACING_MS} ms (${BURST} requests over ${lanes} ${spacingPer}s); makespan = first send to last answer at the client;`,
      'upstream span = first to last burst arrival at the simulator; first-start spread = between the first arrivals of the',
      `earliest and the latest ${spacingPer}; min / mean gap = between consecutive arrivals on one ${spacingPer}.`,
      `violations = the limits checked exactly on the workers' departure stamps; short arrival gaps = arrivals the fake stamped less than ${SPACING_MS} ms apart (its stamps run late under load: reported, not a violation).`,
      ...(accounts === undefined
        ? []
        : [`Keys i belong to account i mod ${accounts} (3, 3 and 2 keys); the fake OpenRouter records each arrival's account. Adding keys to an account adds no capacity: the ideal is the accounts', not the keys'.`]),
      `The gateway spaces by ${ENFORCED_MS} ms (a jitter margin over ${SPACING_MS} ms), so its own floor is ${int((perKey - 1) * ENFORCED_MS)} ms ` +
        `(ratio ${(((perKey - 1) * ENFORCED_MS) / idealMs).toFixed(3)}); makespan / floor = ${(burst.makespanMs / ((perKey - 1) * ENFORCED_MS)).toFixed(3)}; ` +
        `the mean gap exceeds ${ENFORCED_MS} ms by ${ms(meanGap - ENFORCED_MS, 1)} ms per slot.`,
      stack.sim.prioritised ? 'The simulator ran at nice −15 so its arrival timestamps carry little scheduling jitter.' : 'The simulator could not be given a higher CPU priority (not root); arrival timestamps may carry scheduling jitter.',
    ],
    targets: [
      { name: 'makespan / ideal', value: ratio.toFixed(3), target: `≤ ${TARGET_RATIO.toFixed(2)}`, met: ratio <= TARGET_RATIO },
      { name: 'limit violations', value: String(violations.length), target: '0', met: violations.length === 0 },
    ],
    problems,
  };
}

/** How far apart the keys' first burst arrivals are (the burst's intake through the API). */
function firstArrivalSpreadMs(records: readonly { key: string | null; hrMs: number }[]): number {
  const first = new Map<string | null, number>();
  for (const r of records) first.set(r.key, Math.min(first.get(r.key) ?? Infinity, r.hrMs));
  const starts = [...first.values()];
  return starts.length ? Math.max(...starts) - Math.min(...starts) : NaN;
}

/** Average gap between consecutive burst arrivals of one key, over all keys. */
function meanGapMs(records: readonly { key: string | null; hrMs: number }[]): number {
  const byKey = new Map<string | null, number[]>();
  for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.hrMs]);
  let sum = 0;
  let gaps = 0;
  for (const list of byKey.values()) {
    if (list.length < 2) continue;
    list.sort((a, b) => a - b);
    sum += (list[list.length - 1] ?? 0) - (list[0] ?? 0);
    gaps += list.length - 1;
  }
  return gaps === 0 ? NaN : sum / gaps;
}
