/**
 * `npm run bench` (= `tsc -b && tsx scripts/bench/run.ts`): starts the simulator and the gateway
 * (one API process, one worker process, 8 made-up keys, a fresh Redis prefix) and measures
 *   1. added latency, 2. quota utilisation, 3. throughput, 4. streaming (time to first token), 5. accounts, 6. batch,
 * and key scaling (16, 256 and 1,000 keys, each on gateways and a redis-server of its own), then prints a table per
 * scenario and markdown for docs/BENCHMARKS.md. Stops every child process
 * and deletes the run's Redis keys on success, on failure and on Ctrl-C.
 *
 * Exit code: 0 when every scenario ran with only correct answers and no limit violation,
 * 1 otherwise (with BENCH_STRICT=1 a missed performance target fails the run too).
 *
 * Environment: REDIS_URL (default redis://127.0.0.1:6379), BENCH_QUICK=1 (fewer requests, a smoke
 * run), BENCH_ONLY=latency,start-latency,utilisation,throughput,start-throughput,streaming,accounts,batch,scaling,redis-cost,pacing,memory,idle-keys,queued,
 * BENCH_SCALE=1 (the worker-side scale scenarios too, scale.ts; BENCH_QUEUED=100000 sets the queued count), BENCH_STRICT=1, BENCH_CPU_PROF=<dir> (runs the
 * API and worker under --cpu-prof; summarise with `npx tsx scripts/bench/profile-summary.ts`).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fakeKey } from '../../test/support/fake-keys.js';
import { API_MAIN, REPO_ROOT, WORKER_MAIN, stopAll } from '../../test/support/processes.js';
import { deleteByPrefix, freshPrefix } from '../../test/support/redis-cleanup.js';
import { localRedisPid, startOtherLoadMeter } from './cpu.js';
import { describeMachine } from './machine.js';
import { ExpectedError, connect, errorMessage, errorText, openRedis } from './redis.js';
import { LIMITS_OFF } from './gateway-env.js';
import { printConsole, printMarkdown } from './report.js';
import type { BenchOptions, BenchStack, Scenario, ScenarioResult } from './result.js';

const KEYS = 8;
/** Hard bound on the whole run; cleanup still happens when it fires. */
const WATCHDOG_MS = (process.env.BENCH_SCALE === '1' ? 40 : 15) * 60_000;

const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const opts: BenchOptions = {
  quick: process.env.BENCH_QUICK === '1',
  strict: process.env.BENCH_STRICT === '1',
  only: (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  cpuProfDir: process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined,
  progress: (msg) => {
    process.stderr.write(`» ${msg}\n`);
  },
};

// Where @ork/simulator's SIMULATOR_MAIN points; checked before anything imports the built packages.
const SIMULATOR_MAIN = resolve(REPO_ROOT, 'apps/simulator/dist/main.js');
for (const main of [SIMULATOR_MAIN, API_MAIN, WORKER_MAIN]) {
  if (!existsSync(main)) {
    process.stderr.write(`bench: ${main} is missing; build first (npm run bench does: tsc -b)\n`);
    process.exit(1);
  }
}
// Imported after the check above: they load the built simulator and shared library.
const { startGateway, startSimulator } = await import('./stack.js');
const { addedLatency } = await import('./scenarios/added-latency.js');
const { quotaUtilisation, accountQuotaUtilisation, accountsSimEnv, GATEWAY_ENV: SPACED, ACCOUNTS_GATEWAY_ENV } = await import('./scenarios/quota-utilisation.js');
const { throughput } = await import('./scenarios/throughput.js');
const { streaming } = await import('./scenarios/streaming.js');
const { batchScenario, GATEWAY_ENV: BATCH_ENV } = await import('./scenarios/batch.js');
const { keyScaling } = await import('./scenarios/key-scaling.js');
const scale = await import('./scale.js');

/** Worker-side scale scenarios (issue 10), only with BENCH_SCALE=1 or BENCH_ONLY: each starts its own redis-server, simulator and gateway with its own number of keys. */
const OWN_STACK: [string, (opts: BenchOptions) => Promise<ScenarioResult>][] = [
  ['redis-cost', scale.redisCost],
  ['pacing', scale.pacing],
  ['memory', scale.memory],
  ['idle-keys', scale.idleKeys],
  ['queued', scale.queued],
];

interface StackSpec {
  label: string;
  /** How the gateway runs; one API and one worker process unless it says `npm start`. */
  layout?: BenchStack['layout'];
  env: Record<string, string>;
  simPriority?: number;
  simEnv?: (keys: readonly string[]) => Record<string, string>;
  scenarios: [string, Scenario][];
}

/** Run order groups scenarios by gateway configuration; results are printed in numbered order. */
const STACKS: StackSpec[] = [
  { label: 'limits off', env: LIMITS_OFF, scenarios: [['latency', addedLatency], ['streaming', streaming], ['throughput', throughput]] },
  // The same two measurements on what `npm start` runs: the API and the key workers in one process.
  { label: 'npm start, limits off', env: LIMITS_OFF, layout: 'npm start', scenarios: [['start-latency', addedLatency], ['start-throughput', throughput]] },
  // -15: the simulator timestamps arrivals for the spacing check; on two busy cores it must get the CPU.
  { label: 'spacing 250 ms', env: SPACED, simPriority: -15, scenarios: [['utilisation', quotaUtilisation]] },
  // The same burst over 8 keys of 3 accounts, spaced per account: the accounts' capacity binds.
  { label: 'spacing 250 ms per account, 3 accounts', env: ACCOUNTS_GATEWAY_ENV, simEnv: accountsSimEnv, simPriority: -15, scenarios: [['accounts', accountQuotaUtilisation]] },
  // A 5,000-line batch beside a steady interactive load, at a short spacing.
  { label: 'spacing 50 ms, batch', env: BATCH_ENV, simPriority: -15, scenarios: [['batch', batchScenario]] },
];
/** Scenarios that start the gateways they measure themselves (several key counts, a private redis-server). */
const STANDALONE: [string, (o: BenchOptions) => Promise<ScenarioResult>][] = [['scaling', (o) => keyScaling(o)]];

const unknown = opts.only.filter(
  (id) => !STACKS.some((stack) => stack.scenarios.some(([known]) => known === id)) && !STANDALONE.some(([known]) => known === id) && !OWN_STACK.some(([known]) => known === id),
);
if (unknown.length > 0) {
  const known = [...STACKS.flatMap((stack) => stack.scenarios.map(([id]) => id)), ...STANDALONE.map(([id]) => id), ...OWN_STACK.map(([id]) => id)];
  process.stderr.write(`bench: no scenario ${unknown.join(', ')} (BENCH_ONLY takes ${known.join(',')})\n`);
  process.exit(1);
}

const redis = openRedis(redisUrl);
const prefixes = new Set<string>();
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAll();
    for (const prefix of prefixes) {
      try {
        await deleteByPrefix(redis, prefix);
        prefixes.delete(prefix);
      } catch (err) {
        process.stderr.write(`bench: could not delete Redis keys ${prefix}:* (${errorMessage(err)})\n`);
      }
    }
    redis.disconnect();
  })();
  return cleaning;
}
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, cleaning up\n`);
    void cleanup().finally(() => process.exit(code));
  });
}
setTimeout(() => {
  process.stderr.write(`bench: still running after ${WATCHDOG_MS / 1000} s, giving up\n`);
  void cleanup().finally(() => process.exit(1));
}, WATCHDOG_MS).unref();

/** Starts a simulator and a gateway on a fresh prefix, runs `fn`, then stops both and deletes the prefix. */
async function withStack<T>(stack: StackSpec, redisPid: number | undefined, fn: (s: BenchStack) => Promise<T>): Promise<T> {
  const prefix = freshPrefix('bench');
  prefixes.add(prefix);
  const keys = Array.from({ length: KEYS }, fakeKey);
  try {
    const sim = await startSimulator({ priority: stack.simPriority, env: stack.simEnv?.(keys) ?? {} });
    const layout = stack.layout ?? 'api+worker';
    const allInOne = layout === 'npm start';
    const gateway = await startGateway({ simUrl: sim.url, keys, redisUrl, prefix, env: stack.env, cpuProfDir: opts.cpuProfDir, allInOne });
    const cpuTargets = [
      ...(allInOne ? [{ name: 'npm start', pid: gateway.api.pid }] : [{ name: 'api', pid: gateway.api.pid }, { name: 'worker', pid: gateway.worker.pid }]),
      ...(redisPid === undefined ? [] : [{ name: 'redis', pid: redisPid }]),
      { name: 'simulator', pid: sim.proc.pid },
    ];
    const processes = [sim.proc, ...gateway.processes];
    return await fn({ layout, sim, gateway, keys, prefix, cpuTargets, processes });
  } finally {
    await stopAll();
    await deleteByPrefix(redis, prefix);
    prefixes.delete(prefix);
  }
}

/** A scenario that threw still gets a row in the report, marked failed. */
function crashed(id: string, err: unknown): ScenarioResult {
  return { id, title: `${id} (did not complete)`, header: ['error'], rows: [[errorMessage(err).split('\n')[0] ?? '']], notes: [], targets: [], problems: [`${id}: ${errorText(err)}`] };
}

async function main(): Promise<number> {
  if (opts.cpuProfDir) mkdirSync(opts.cpuProfDir, { recursive: true });
  await connect(redis, redisUrl);
  const machine = await describeMachine(redis);
  const redisPid = await localRedisPid(redis);
  const otherLoad = startOtherLoadMeter(redisPid, cpus().length);
  const started = Date.now();
  const results: ScenarioResult[] = [];
  for (const stack of STACKS) {
    const wanted = stack.scenarios.filter(([id]) => opts.only.length === 0 || opts.only.includes(id));
    if (wanted.length === 0) continue;
    opts.progress(`starting simulator + ${stack.layout ?? 'API + worker'} (${stack.label})`);
    try {
      await withStack(stack, redisPid, async (s) => {
        for (const [id, scenario] of wanted) {
          try {
            const result = await scenario(s, opts);
            for (const p of s.processes) {
              if (!p.alive()) {
                await p.exited;
                result.problems.push(`${p.name} process died (exit ${p.exitDescription()}) during ${id}:\n${p.output()}`);
              }
            }
            results.push(result);
          } catch (err) {
            results.push(crashed(id, err));
          }
        }
      });
    } catch (err) {
      for (const [id] of wanted) if (!results.some((r) => r.id === id)) results.push(crashed(id, err));
    }
  }
  for (const [id, scenario] of [...STANDALONE, ...OWN_STACK.filter(([id]) => opts.only.includes(id) || (opts.only.length === 0 && process.env.BENCH_SCALE === '1'))]) {
    if (opts.only.length > 0 && !opts.only.includes(id)) continue;
    opts.progress(`starting ${id} (its own gateway)`);
    try {
      results.push(await scenario(opts));
    } catch (err) {
      results.push(crashed(id, err));
    } finally {
      await stopAll();
    }
  }
  const ORDER = ['latency', 'start-latency', 'streaming', 'utilisation', 'throughput', 'start-throughput', 'accounts', 'batch', 'scaling', ...OWN_STACK.map(([id]) => id)];
  results.sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id));
  const other = otherLoad.stop();
  machine.otherLoad = other === undefined ? 'n/a' : `${(other * 100).toFixed(0)} % of all cores`;
  if (other !== undefined && other > 0.1) {
    machine.warning = `other processes used ${(other * 100).toFixed(0)} % of the CPU during this run; the figures are lower than on an idle machine`;
  }
  const failures = results.flatMap((r) => r.problems);
  const missed = results.flatMap((r) => r.targets).filter((t) => !t.met);

  printConsole(machine, results, failures);
  printMarkdown(machine, results);
  opts.progress(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failures.length > 0) return 1;
  if (opts.strict && missed.length > 0) return 1;
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`bench failed: ${err instanceof ExpectedError ? err.message : errorText(err)}\n`);
} finally {
  await cleanup();
}
process.exit(code);
