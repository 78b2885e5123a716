/**
 * Scenario 1, added latency: the same chat completion straight to the simulator and through the
 * gateway (API process → Redis queue → worker process → simulator → reply stream → API), limits
 * off: one at a time, 32 at once and 256 at once. The difference of the percentiles (p50, p99, max)
 * is what the gateway adds.
 */
import { CHAT_PATH, createClient, loadProblem, runLoad, type LoadResult, type LoadSpec } from '../load.js';
import type { Scenario, Target } from '../result.js';
import { ms, summarize, type Summary } from '../stats.js';

export const TARGET_ADDED_P50_MS = 3;
export const TARGET_ADDED_P99_MS = 15;
/** Issue 10: what the gateway may add to one request at a time. */
export const TARGET_ADDED_SEQUENTIAL_P50_MS = 1;
/** Pool size of the load generator: the largest concurrency below. */
const MAX_CONCURRENCY = 256;

type Via = 'direct' | 'proxied';

export const addedLatency: Scenario = async (stack, { quick, progress }) => {
  const phases = [
    { label: 'sequential (c=1)', concurrency: 1, total: quick ? 100 : 500 },
    { label: 'concurrency 32', concurrency: 32, total: quick ? 600 : 3_000 },
    { label: 'concurrency 256', concurrency: MAX_CONCURRENCY, total: quick ? 1_000 : 5_000 },
  ];
  const direct = createClient(stack.sim.origin, MAX_CONCURRENCY);
  const proxied = createClient(stack.gateway.url, MAX_CONCURRENCY);
  // The simulator wants a bearer key; the gateway adds the upstream key itself.
  const directHeaders = (i: number): Record<string, string> => ({ authorization: `Bearer ${stack.keys[i % stack.keys.length]}` });
  const targets: Record<Via, Pick<LoadSpec, 'client' | 'path' | 'headersFor'>> = {
    direct: { client: direct, path: CHAT_PATH.direct, headersFor: directHeaders },
    proxied: { client: proxied, path: CHAT_PATH.proxied },
  };
  const problems: string[] = [];
  const run = async (label: string, via: Via, spec: { concurrency: number; total: number }): Promise<LoadResult> => {
    const r = await runLoad({ ...targets[via], ...spec, tag: `latency ${label} ${via}` });
    const problem = loadProblem(`added latency, ${label}, ${via}`, r);
    if (problem) problems.push(problem);
    return r;
  };

  const rows: string[][] = [];
  const measured: Record<number, { d: Summary; p: Summary }> = {};
  try {
    // Warm-up (not measured): JIT, keep-alive sockets on every hop, Lua scripts loaded in Redis.
    progress('added latency: warm-up');
    await run('warm-up', 'direct', { concurrency: 32, total: quick ? 300 : 1_000 });
    await run('warm-up', 'proxied', { concurrency: 32, total: quick ? 300 : 1_000 });
    for (const phase of phases) {
      progress(`added latency: ${phase.label}, ${phase.total} requests each way`);
      const spec = { concurrency: phase.concurrency, total: phase.total };
      if (phase.concurrency > 32) {
        // Opens the extra keep-alive sockets on both hops first (not measured).
        const warm = { concurrency: phase.concurrency, total: phase.concurrency * 2 };
        await run('warm-up', 'direct', warm);
        await run('warm-up', 'proxied', warm);
      }
      const d = summarize((await run(phase.label, 'direct', spec)).latencies);
      const p = summarize((await run(phase.label, 'proxied', spec)).latencies);
      measured[phase.concurrency] = { d, p };
      rows.push([
        phase.label,
        String(phase.total),
        ms(d.p50),
        ms(d.p99),
        ms(d.max),
        ms(p.p50),
        ms(p.p99),
        ms(p.max),
        ms(p.p50 - d.p50),
        ms(p.p99 - d.p99),
        ms(p.max - d.max),
      ]);
    }
  } finally {
    await Promise.all([direct.close(), proxied.close()]);
  }

  const at1 = measured[1];
  const at32 = measured[32];
  const targetList: Target[] = at1
    ? [
        {
          name: 'added p50 one at a time',
          value: `${ms(at1.p.p50 - at1.d.p50)} ms`,
          target: `≤ ${TARGET_ADDED_SEQUENTIAL_P50_MS} ms`,
          met: at1.p.p50 - at1.d.p50 <= TARGET_ADDED_SEQUENTIAL_P50_MS,
        },
      ]
    : [];
  if (at32) {
    targetList.push(
      {
        name: 'added p50 at concurrency 32',
        value: `${ms(at32.p.p50 - at32.d.p50)} ms`,
        target: `< ${TARGET_ADDED_P50_MS} ms`,
        met: at32.p.p50 - at32.d.p50 < TARGET_ADDED_P50_MS,
      },
      {
        name: 'added p99 at concurrency 32',
        value: `${ms(at32.p.p99 - at32.d.p99)} ms`,
        target: `< ${TARGET_ADDED_P99_MS} ms`,
        met: at32.p.p99 - at32.d.p99 < TARGET_ADDED_P99_MS,
      },
    );
  }
  return {
    id: stack.layout === 'npm start' ? 'start-latency' : 'latency',
    title:
      stack.layout === 'npm start'
        ? '1b. Added latency with `npm start` (limits off, simulator latency 0, 8 keys, API and worker in one process)'
        : '1. Added latency (limits off, simulator latency 0, 8 keys, 1 API + 1 worker process)',
    header: [
      'load',
      'requests',
      'direct p50 ms',
      'direct p99 ms',
      'direct max ms',
      'proxied p50 ms',
      'proxied p99 ms',
      'proxied max ms',
      'added p50 ms',
      'added p99 ms',
      'added max ms',
    ],
    rows,
    notes: [
      'Every answer was checked to be `echo: <its own prompt>`. *Added* is the proxied percentile minus the direct one',
      '(for max: the slowest proxied answer minus the slowest direct one). Closed loop: at concurrency c, c clients each',
      'send their next request when their answer is complete, so under load the latency is mostly waiting for the CPU.',
    ],
    targets: targetList,
    problems,
  };
};
