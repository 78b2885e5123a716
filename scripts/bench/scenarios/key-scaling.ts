/**
 * Key scaling (issue 10): Redis commands and Redis time per proxied request, and throughput, at
 * 16, 256 and 1,000 keys (limits off, simulator latency 0, concurrency 32, 1 API + 1 worker).
 * Each key count gets its own simulator, gateway and a private redis-server on a free loopback
 * port, so INFO commandstats counts only this gateway's commands (the shared Redis serves other
 * runs too). Standalone: `npx tsx scripts/bench/scenarios/key-scaling.ts [16,256,1000]`.
 */
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { fakeKey } from '../../../test/support/fake-keys.js';
import { PrivateRedis } from '../../../test/support/private-redis.js';
import { CHAT_PATH, createClient, loadProblem, runLoad } from '../load.js';
import type { BenchOptions, ScenarioResult, Target } from '../result.js';
import { LIMITS_OFF } from '../gateway-env.js';
import { startGateway, startSimulator } from '../stack.js';
import { int, ms, summarize } from '../stats.js';

export const KEY_COUNTS = [16, 256, 1_000];
const CONCURRENCY = 32;
/** Issue 10's targets. */
const MAX_COMMANDS_PER_REQUEST = 40;
const MIN_THROUGHPUT_SHARE = 0.9;

interface CommandTotals {
  calls: number;
  usec: number;
  each: Map<string, number>;
}

/** Calls and usec summed over every command of INFO commandstats (commands run by scripts included). */
async function commandTotals(redis: Redis): Promise<CommandTotals> {
  const info = await redis.info('commandstats');
  const totals: CommandTotals = { calls: 0, usec: 0, each: new Map() };
  for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) {
    totals.calls += Number(m[2]);
    totals.usec += Number(m[3]);
    totals.each.set(m[1] ?? '', Number(m[2]));
  }
  return totals;
}

/** The commands that made most of a run's calls, per answered request: "hget 12.0, zadd 9.5, ...". */
function topCommands(before: CommandTotals, after: CommandTotals, requests: number, n = 10): string {
  return [...after.each]
    .map(([name, calls]): [string, number] => [name, (calls - (before.each.get(name) ?? 0)) / requests])
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, per]) => `${name} ${per.toFixed(1)}`)
    .join(', ');
}

interface Measured {
  keys: number;
  commands: number;
  redisMs: number;
  rps: number;
}

async function measure(n: number, quick: boolean, progress: (msg: string) => void, problems: string[], notes: string[]): Promise<{ row: string[]; m: Measured }> {
  const redisServer = await PrivateRedis.start();
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const sim = await startSimulator();
  const stop: (() => Promise<unknown>)[] = [() => sim.proc.stop()];
  try {
    const gateway = await startGateway({ simUrl: sim.url, keys: Array.from({ length: n }, fakeKey), redisUrl: redisServer.url, prefix: 'bench', env: LIMITS_OFF });
    stop.push(...gateway.processes.map((p) => () => p.stop()));
    const client = createClient(gateway.url, CONCURRENCY);
    stop.push(() => client.close());
    const common = { client, path: CHAT_PATH.proxied, concurrency: CONCURRENCY };
    progress(`key scaling: ${n} keys, warm-up`);
    const warm = await runLoad({ ...common, total: Math.max(CONCURRENCY * 8, n * 2), maxDurationMs: 60_000, tag: `scaling warm-up ${n}` });
    const warmProblem = loadProblem(`key scaling ${n} keys, warm-up`, warm);
    if (warmProblem) problems.push(warmProblem);
    // What the processes do when idle (heartbeats, BullMQ's polling), subtracted from the run.
    const idle0 = await commandTotals(redis);
    const idleStart = Date.now();
    await new Promise((r) => setTimeout(r, 1_000));
    const idle1 = await commandTotals(redis);
    const idleMs = Date.now() - idleStart;
    progress(`key scaling: ${n} keys, measured run`);
    const before = await commandTotals(redis);
    const r = await runLoad({ ...common, total: quick ? 2_000 : 6_000, maxDurationMs: quick ? 4_000 : 10_000, tag: `scaling ${n}` });
    const after = await commandTotals(redis);
    const problem = loadProblem(`key scaling ${n} keys`, r);
    if (problem) problems.push(problem);
    // One INFO per reading is ours, not the gateway's.
    const idleCalls = Math.max(0, ((idle1.calls - idle0.calls - 1) / idleMs) * r.elapsedMs);
    const idleUsec = Math.max(0, ((idle1.usec - idle0.usec) / idleMs) * r.elapsedMs);
    const commands = (after.calls - before.calls - 1 - idleCalls) / r.ok;
    const redisMs = (after.usec - before.usec - idleUsec) / r.ok / 1000;
    const rps = (r.ok / r.elapsedMs) * 1000;
    const s = summarize(r.latencies);
    notes.push(`${n} keys, commands per request: ${topCommands(before, after, r.ok)}.`);
    return { row: [int(n), int(r.ok), commands.toFixed(1), ms(redisMs, 3), int(rps), ms(s.p50), ms(s.p99)], m: { keys: n, commands, redisMs, rps } };
  } finally {
    for (const s of stop.reverse()) await s().catch(() => undefined);
    redis.disconnect();
    await redisServer.kill();
    rmSync(redisServer.dir, { recursive: true, force: true });
  }
}

export async function keyScaling({ quick, progress }: Pick<BenchOptions, 'quick' | 'progress'>, keyCounts = KEY_COUNTS): Promise<ScenarioResult> {
  const rows: string[][] = [];
  const problems: string[] = [];
  const notes: string[] = [
    'Commands and Redis time from INFO commandstats deltas on a private redis-server (commands run inside scripts included), less the idle rate measured just before.',
    'Redis time is the server-side time of the commands (cmdstat usec), not round trips; both grow with the machine\'s load.',
  ];
  const measured: Measured[] = [];
  for (const n of keyCounts) {
    try {
      const { row, m } = await measure(n, quick, progress, problems, notes);
      rows.push(row);
      measured.push(m);
    } catch (err) {
      problems.push(`key scaling ${n} keys: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const targets: Target[] = [];
  const first = measured[0];
  const last = measured.at(-1);
  if (first && last && measured.length === keyCounts.length) {
    const worst = Math.max(...measured.map((m) => m.commands));
    targets.push({ name: 'Redis commands per request (worst key count)', value: worst.toFixed(1), target: `≤ ${MAX_COMMANDS_PER_REQUEST}`, met: worst <= MAX_COMMANDS_PER_REQUEST });
    const share = last.rps / first.rps;
    targets.push({
      name: `throughput at ${int(last.keys)} keys vs ${int(first.keys)}`,
      value: `${(share * 100).toFixed(0)} %`,
      target: `≥ ${MIN_THROUGHPUT_SHARE * 100} %`,
      met: share >= MIN_THROUGHPUT_SHARE,
    });
  }
  return {
    id: 'scaling',
    title: `Key scaling (limits off, simulator latency 0, concurrency ${CONCURRENCY}, 1 API + 1 worker process, private redis-server)`,
    header: ['keys', 'requests', 'Redis commands / request', 'Redis ms / request', 'req/s', 'p50 ms', 'p99 ms'],
    rows,
    notes,
    targets,
    problems,
  };
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const keyCounts = process.argv[2] ? process.argv[2].split(',').map(Number) : KEY_COUNTS;
  const result = await keyScaling({ quick: process.env.BENCH_QUICK === '1', progress: (m) => process.stderr.write(`» ${m}\n`) }, keyCounts);
  console.log(result.title);
  console.log(result.header.join(' | '));
  for (const row of result.rows) console.log(row.join(' | '));
  for (const note of result.notes) console.log(note);
  for (const t of result.targets) console.log(`${t.name}: ${t.value} (target ${t.target}) ${t.met ? 'met' : 'MISSED'}`);
  for (const p of result.problems) console.log(`problem: ${p}`);
  process.exit(result.problems.length > 0 ? 1 : 0);
}
