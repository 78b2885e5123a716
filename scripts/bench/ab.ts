/**
 * `npx tsx scripts/bench/ab.ts <tree A> <tree B> [rounds] [seconds]`: before/after on a shared, noisy
 * machine. Starts two gateways (one API and one worker process each, from the built `apps/*\/dist` of two
 * checkouts, e.g. main in a second worktree and a branch), each with its own simulator and Redis prefix on
 * the same Redis, and loads both AT THE SAME TIME with the same closed loop, so outside load and Redis
 * are shared alike. Per round: 1 client each, then 32, for `seconds`; prints req/s, API + worker CPU ms
 * per answered request (/proc) and p50 / p99, then the medians. Limits off, simulator latency 0, 8 keys.
 * Each gateway gets about half the machine: compare A with B, not with `npm run bench`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fakeKey } from '../../test/support/fake-keys.js';
import { stopAll } from '../../test/support/processes.js';
import { deleteByPrefix, freshPrefix } from '../../test/support/redis-cleanup.js';
import { startCpuMeter } from './cpu.js';
import { CHAT_PATH, createClient, runLoad } from './load.js';
import { connect, openRedis } from './redis.js';
import { LIMITS_OFF } from './gateway-env.js';
import { startGateway, startSimulator } from './stack.js';
import { ms, summarize } from './stats.js';

const [treeA, treeB, roundsArg, secondsArg] = process.argv.slice(2);
if (treeA === undefined || treeB === undefined) {
  process.stderr.write('usage: npx tsx scripts/bench/ab.ts <tree A> <tree B> [rounds=4] [seconds=8]\n');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 4);
const seconds = Number(secondsArg ?? 8);
const mains = (tree: string): { api: string; worker: string } => ({
  api: resolve(tree, 'apps/api/dist/main.js'),
  worker: resolve(tree, 'apps/worker/dist/main.js'),
});
for (const tree of [treeA, treeB]) {
  for (const main of Object.values(mains(tree))) {
    if (!existsSync(main)) {
      process.stderr.write(`ab: ${main} is missing; build that tree first (npm run build)\n`);
      process.exit(1);
    }
  }
}

const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const redis = openRedis(redisUrl);
const prefixes: string[] = [];

interface Side {
  client: ReturnType<typeof createClient>;
  targets: { name: string; pid: number | undefined }[];
}

async function startSide(tree: string): Promise<Side> {
  const prefix = freshPrefix('bench-ab');
  prefixes.push(prefix);
  const keys = Array.from({ length: 8 }, fakeKey);
  const sim = await startSimulator();
  const gateway = await startGateway({ simUrl: sim.url, keys, redisUrl, prefix, env: LIMITS_OFF, mains: mains(tree) });
  const origin = gateway.url;
  const client = createClient(origin, 32);
  // JIT, keep-alive sockets, scripts loaded (not measured).
  await runLoad({ client, path: CHAT_PATH.proxied, concurrency: 32, total: 3_000, tag: 'ab warm-up' });
  return { client, targets: [{ name: 'api', pid: gateway.api.pid }, { name: 'worker', pid: gateway.worker.pid }] };
}

interface RoundResult {
  rps: number;
  cpuMs: number;
  p50: number;
  p99: number;
  bad: number;
}

async function measure(side: Side, concurrency: number, tag: string): Promise<RoundResult> {
  const meter = startCpuMeter(side.targets);
  const r = await runLoad({ client: side.client, path: CHAT_PATH.proxied, concurrency, total: 10_000_000, maxDurationMs: seconds * 1000, tag });
  const cpu = meter.stop();
  const s = summarize(r.latencies);
  return { rps: (r.ok / r.elapsedMs) * 1000, cpuMs: ((cpu.api ?? NaN) + (cpu.worker ?? NaN)) / r.ok, p50: s.p50, p99: s.p99, bad: r.errors + r.wrong };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? (sorted[Math.floor(mid)] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};

let code = 0;
try {
  await connect(redis, redisUrl);
  const a = await startSide(treeA);
  const b = await startSide(treeB);
  const all: Record<string, number[]> = {};
  for (let round = 1; round <= rounds; round++) {
    for (const concurrency of [1, 32]) {
      const [ra, rb] = await Promise.all([measure(a, concurrency, `a${round}c${concurrency}`), measure(b, concurrency, `b${round}c${concurrency}`)]);
      for (const [label, r] of [['A', ra], ['B', rb]] as const) {
        if (r.bad > 0) code = 1;
        console.log(
          `round ${round} c=${concurrency} ${label}: ${Math.round(r.rps)} req/s, api+worker CPU ${ms(r.cpuMs, 3)} ms/request, p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms` +
            (r.bad > 0 ? `, ${r.bad} failed or wrong` : ''),
        );
        for (const [what, v] of [['req/s', r.rps], ['CPU ms/request', r.cpuMs], ['p50 ms', r.p50]] as const) (all[`c=${concurrency} ${what} ${label}`] ??= []).push(v);
      }
    }
  }
  for (const [name, values] of Object.entries(all).sort()) console.log(`median ${name}: ${ms(median(values), 3)}`);
  await Promise.all([a.client.close(), b.client.close()]);
} catch (err) {
  process.stderr.write(`ab failed: ${err instanceof Error ? err.message : String(err)}\n`);
  code = 1;
} finally {
  await stopAll();
  for (const prefix of prefixes) await deleteByPrefix(redis, prefix).catch(() => undefined);
  redis.disconnect();
}
process.exit(code);
