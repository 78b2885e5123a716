/**
 * Scenario 3, throughput: as many chat completions as the gateway answers per second with limits
 * off, at 32, 64 and 128 requests in flight. A short direct run against the simulator alone shows
 * what this machine and load generator can do without the gateway in between.
 */
import { cpus } from 'node:os';
import { startCpuMeter, type CpuUse } from '../cpu.js';
import { CHAT_PATH, createClient, loadProblem, runLoad, type LoadResult } from '../load.js';
import type { Scenario } from '../result.js';
import { int, ms, summarize } from '../stats.js';

export const TARGET_REQ_PER_S = 1_500;
/** Issue 10: `npm start` at concurrency 32. */
export const TARGET_START_REQ_PER_S_AT_32 = 2_500;

interface Run {
  via: string;
  concurrency: number;
  total: number;
  maxDurationMs: number;
}

export const throughput: Scenario = async (stack, { quick, progress }) => {
  const runs: Run[] = [
    { via: 'direct (reference)', concurrency: 64, total: quick ? 3_000 : 10_000, maxDurationMs: quick ? 2_000 : 4_000 },
    { via: 'proxied', concurrency: 32, total: quick ? 4_000 : 15_000, maxDurationMs: quick ? 3_000 : 10_000 },
    { via: 'proxied', concurrency: 64, total: quick ? 4_000 : 15_000, maxDurationMs: quick ? 3_000 : 10_000 },
    { via: 'proxied', concurrency: 128, total: quick ? 4_000 : 15_000, maxDurationMs: quick ? 3_000 : 10_000 },
  ];
  const problems: string[] = [];
  const rows: string[][] = [];
  const cpuRows: string[][] = [];
  const cpuColumns = [...stack.cpuTargets.map((t) => t.name), 'load generator'];
  let best: { rps: number; concurrency: number } | undefined;
  let at32: number | undefined;
  for (const spec of runs) {
    const direct = spec.via.startsWith('direct');
    const client = createClient(direct ? stack.sim.origin : stack.gateway.url, spec.concurrency);
    const common = {
      client,
      path: direct ? CHAT_PATH.direct : CHAT_PATH.proxied,
      concurrency: spec.concurrency,
      headersFor: direct ? (i: number) => ({ authorization: `Bearer ${stack.keys[i % stack.keys.length]}` }) : undefined,
    };
    try {
      progress(`throughput: ${spec.via}, concurrency ${spec.concurrency}`);
      // Opens this pool's sockets and lets the processes settle at this concurrency (not measured).
      const warm = await runLoad({ ...common, total: Math.max(spec.concurrency * 4, 1_000), tag: `throughput warm-up c${spec.concurrency}` });
      const meter = startCpuMeter(stack.cpuTargets);
      const r = await runLoad({ ...common, total: spec.total, maxDurationMs: spec.maxDurationMs, tag: `throughput c${spec.concurrency} ${spec.via}` });
      const cpu = meter.stop();
      for (const [label, result] of [['warm-up', warm], ['measured', r]] as const) {
        const problem = loadProblem(`throughput ${spec.via} c=${spec.concurrency} ${label}`, result);
        if (problem) problems.push(problem);
      }
      const s = summarize(r.latencies);
      const rps = (r.ok / r.elapsedMs) * 1000;
      if (!direct && (best === undefined || rps > best.rps)) best = { rps, concurrency: spec.concurrency };
      if (!direct && spec.concurrency === 32) at32 = rps;
      rows.push([spec.via, String(spec.concurrency), int(r.ok), (r.elapsedMs / 1000).toFixed(1), int(rps), ms(s.p50), ms(s.p99)]);
      cpuRows.push(cpuRow(cpuColumns, spec, r, cpu));
    } finally {
      await client.close();
    }
  }
  const oneProcess = stack.layout === 'npm start';
  const targets = best
    ? [{ name: `best proxied throughput (c=${best.concurrency})`, value: `${int(best.rps)} req/s`, target: `> ${int(TARGET_REQ_PER_S)} req/s`, met: best.rps > TARGET_REQ_PER_S }]
    : [];
  if (oneProcess && at32 !== undefined) {
    targets.push({ name: '`npm start` throughput at c=32', value: `${int(at32)} req/s`, target: `≥ ${int(TARGET_START_REQ_PER_S_AT_32)} req/s`, met: at32 >= TARGET_START_REQ_PER_S_AT_32 });
  }
  return {
    id: oneProcess ? 'start-throughput' : 'throughput',
    title: oneProcess
      ? '3b. Throughput with `npm start` (limits off, simulator latency 0, 8 keys, API and worker in one process)'
      : '3. Throughput (limits off, simulator latency 0, 8 keys, 1 API + 1 worker process)',
    header: ['target', 'concurrency', 'requests', 'seconds', 'req/s', 'p50 ms', 'p99 ms'],
    rows,
    notes: [
      'Closed loop: each of `concurrency` clients sends its next request when the previous answer is complete;',
      'a run stops after its request count or duration, whichever comes first. Every answer was checked.',
    ],
    extraTables: [
      {
        caption: 'CPU per answered request (ms, user + system, from /proc) and how busy the machine was',
        header: ['target', 'concurrency', ...cpuColumns, 'total', `ours, % of ${cpus().length} cores`, 'rest of machine, %'],
        rows: cpuRows,
      },
    ],
    targets,
    problems,
  };
};

/** CPU ms per answered request for each process, and the share of all cores the run kept busy. */
function cpuRow(columns: readonly string[], spec: Run, r: LoadResult, cpu: CpuUse): string[] {
  let total = 0;
  const cells = columns.map((name) => {
    const used = cpu[name];
    if (used === undefined) return 'n/a';
    total += used;
    return ms(used / r.ok, 3);
  });
  const capacity = r.elapsedMs * cpus().length;
  const other = cpu.machine === undefined ? 'n/a' : Math.max(0, ((cpu.machine - total) / capacity) * 100).toFixed(0);
  return [spec.via, String(spec.concurrency), ...cells, ms(total / r.ok, 3), ((total / capacity) * 100).toFixed(0), other];
}
