/**
 * Key scaling (issue 10): Redis commands and Redis time per proxied request, and throughput, at
 * 16, 256 and 1,000 keys (limits off, simulator latency 0, concurrency 32, 1 API + 1 worker).
 * Runs on a private redis-server on a free loopback port, so INFO commandstats counts only this
 * gateway's commands (the shared Redis serves other engineers' tests too).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { CHAT_PATH, createClient, loadProblem, runLoad } from '../load.js';
import { freePort, stopAll } from '../processes.js';
import { fakeKey, startGateway, startSimulator } from '../stack.js';
import { int, ms, summarize } from '../stats.js';

const LIMITS_OFF = { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0', KEY_CONCURRENCY: '256' };
export const KEY_COUNTS = [16, 256, 1000];
const CONCURRENCY = 32;

/** Sum of calls and usec over every command in INFO commandstats, and the calls of each. */
export async function commandTotals(redis) {
  const info = await redis.info('commandstats');
  let calls = 0;
  let usec = 0;
  const each = new Map();
  for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) {
    calls += Number(m[2]);
    usec += Number(m[3]);
    each.set(m[1], Number(m[2]));
  }
  return { calls, usec, each };
}

/** The commands that made most of a run's calls, per answered request: "zadd 12.0, hget 9.5, ...". */
function topCommands(before, after, requests, n = 12) {
  return [...after.each]
    .map(([name, calls]) => [name, (calls - (before.each.get(name) ?? 0)) / requests])
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, per]) => `${name} ${per.toFixed(1)}`)
    .join(', ');
}

/** A throw-away redis-server on a free port; stop() kills it and removes its folder. */
export async function privateRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ork-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await redis.connect();
      await redis.ping();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      redis.disconnect();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    redis,
    async stop() {
      redis.disconnect();
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function keyScaling({ quick, progress, keyCounts = KEY_COUNTS }) {
  const rows = [];
  const problems = [];
  const notes = [];
  const byKeys = new Map();
  for (const n of keyCounts) {
    const priv = await privateRedis();
    const sim = await startSimulator();
    try {
      const keys = Array.from({ length: n }, fakeKey);
      const gateway = await startGateway({ simUrl: sim.url, keys, redisUrl: priv.url, prefix: 'bench', env: LIMITS_OFF });
      const client = createClient(gateway.url, CONCURRENCY);
      try {
        progress(`key scaling: ${n} keys, warm-up`);
        const common = { client, path: CHAT_PATH.proxied, concurrency: CONCURRENCY };
        const warm = await runLoad({ ...common, total: Math.max(CONCURRENCY * 8, n * 2), maxDurationMs: 60_000, tag: `scaling warm ${n}` });
        const problemW = loadProblem(`key scaling ${n} keys warm-up`, warm);
        if (problemW) problems.push(problemW);
        // Idle commands (heartbeats, BullMQ's idle polling) over a quiet second, subtracted below.
        const idle0 = await commandTotals(priv.redis);
        const idleStart = Date.now();
        await new Promise((r) => setTimeout(r, 1_000));
        const idle1 = await commandTotals(priv.redis);
        const idlePerMs = { calls: (idle1.calls - idle0.calls - 1) / (Date.now() - idleStart), usec: (idle1.usec - idle0.usec) / (Date.now() - idleStart) };
        progress(`key scaling: ${n} keys, measured run`);
        const before = await commandTotals(priv.redis);
        const r = await runLoad({ ...common, total: quick ? 2_000 : 6_000, maxDurationMs: quick ? 4_000 : 10_000, tag: `scaling ${n}` });
        const after = await commandTotals(priv.redis);
        const problem = loadProblem(`key scaling ${n} keys`, r);
        if (problem) problems.push(problem);
        const idleCalls = Math.max(0, idlePerMs.calls * r.elapsedMs);
        const idleUsec = Math.max(0, idlePerMs.usec * r.elapsedMs);
        const cmds = (after.calls - before.calls - idleCalls) / r.ok;
        const usec = (after.usec - before.usec - idleUsec) / r.ok;
        const rps = (r.ok / r.elapsedMs) * 1000;
        const s = summarize(r.latencies);
        byKeys.set(n, { cmds, usec, rps });
        notes.push(`${n} keys, commands per request: ${topCommands(before, after, r.ok)}`);
        rows.push([String(n), int(r.ok), cmds.toFixed(1), (usec / 1000).toFixed(3), int(rps), ms(s.p50), ms(s.p99)]);
      } finally {
        await client.close();
      }
    } finally {
      await stopAll();
      await priv.stop();
    }
  }
  const base = byKeys.get(keyCounts[0]);
  const top = byKeys.get(keyCounts[keyCounts.length - 1]);
  const targets = [];
  if (base && top) {
    const worst = Math.max(...[...byKeys.values()].map((v) => v.cmds));
    targets.push({ name: 'Redis commands per request (worst)', value: worst.toFixed(1), target: '≤ 40', met: worst <= 40 });
    targets.push({ name: `throughput at ${keyCounts.at(-1)} keys vs ${keyCounts[0]}`, value: `${((top.rps / base.rps) * 100).toFixed(0)} %`, target: '≥ 90 %', met: top.rps >= 0.9 * base.rps });
  }
  return {
    id: 'scaling',
    title: `Key scaling (limits off, simulator latency 0, concurrency ${CONCURRENCY}, 1 API + 1 worker process, private redis-server)`,
    header: ['keys', 'requests', 'Redis commands / request', 'Redis ms / request', 'req/s', 'p50 ms', 'p99 ms'],
    rows,
    notes: [
      'Commands and time from INFO commandstats deltas (commands run inside scripts included), less the idle rate measured just before.',
      'Redis time is the server-side time of the commands (cmdstat usec), not round trips.',
      ...notes,
    ],
    targets,
    problems,
  };
}

// Run on its own: node scripts/bench/scenarios/key-scaling.js [16,256,1000]
if (import.meta.url === `file://${process.argv[1]}`) {
  const keyCounts = process.argv[2] ? process.argv[2].split(',').map(Number) : KEY_COUNTS;
  const result = await keyScaling({ quick: process.env.BENCH_QUICK === '1', progress: (m) => process.stderr.write(`» ${m}\n`), keyCounts });
  console.log(result.title);
  console.log(result.header.join(' | '));
  for (const row of result.rows) console.log(row.join(' | '));
  for (const note of result.notes) console.log(note);
  for (const t of result.targets) console.log(`${t.name}: ${t.value} (target ${t.target}) ${t.met ? 'met' : 'MISSED'}`);
  for (const p of result.problems) console.log(`problem: ${p}`);
  process.exit(result.problems.length ? 1 : 0);
}
