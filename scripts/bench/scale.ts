/**
 * Scale scenarios (issue 10): each runs on a redis-server of its own, so that Redis's own counters
 * (INFO commandstats, used_memory, connected_clients, its CPU time) are this gateway's alone, and
 * with its own number of keys:
 *   redis-cost   Redis commands (script-internal ones included) per proxied request, 16 keys
 *   pacing       2,000 requests at once over 64 keys at KEY_MIN_INTERVAL_MS=100
 *   memory       Redis bytes per idle key and per retained job; used_memory over rounds of load
 *   idle-keys    1,000 keys on one worker process: start-up, connections, RSS, idle CPU and commands
 *   queued       BENCH_QUEUED (default 100,000) requests queued at once: enqueue rate, bytes each, API RSS, drain
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { Redis } from 'ioredis';
import { checkLimits, type SimRecord } from '@ork/simulator';
import { fakeKey } from '../../test/support/fake-keys.js';
import { freePort } from '../../test/support/free-port.js';
import { PrivateRedis } from '../../test/support/private-redis.js';
import { API_MAIN, WORKER_MAIN, runProcess, stopAll, type RunningProcess } from '../../test/support/processes.js';
import { DEPARTURE_STAMPS, LIMITS_OFF } from './gateway-env.js';
import { CHILD_CWD, CHILD_OPTIONS, startSimulator } from './stack.js';
import { chatBody, createClient } from './load.js';
import type { BenchOptions, ScenarioResult } from './result.js';
import { int, ms } from './stats.js';
import { summarisePacingTrace } from './pacing-trace.js';


interface ScaleStack {
  redis: PrivateRedis;
  client: Redis;
  simUrl: string;
  sim: Awaited<ReturnType<typeof startSimulator>>;
  keys: string[];
  env: Record<string, string>;
  url: string;
  api: RunningProcess | undefined;
  worker: RunningProcess | undefined;
}

async function startScaleStack(keyCount: number, env: Record<string, string>, parts: { api?: boolean; worker?: boolean } = {}): Promise<ScaleStack> {
  const redis = await PrivateRedis.start(['--save', '', '--appendonly', 'no', '--maxclients', '20000']);
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  const sim = await startSimulator({ env: { SIM_LATENCY_MS: '0' } });
  const keys = Array.from({ length: keyCount }, fakeKey);
  const port = await freePort();
  const all: Record<string, string> = {
    OPENROUTER_API_KEYS: keys.join(','),
    OPENROUTER_BASE_URL: sim.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: 'bench',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...env,
  };
  const stack: ScaleStack = { redis, client, simUrl: sim.url, sim, keys, env: all, url: `http://127.0.0.1:${port}`, api: undefined, worker: undefined };
  if (parts.worker !== false) stack.worker = startWorker(stack);
  if (parts.api !== false) {
    stack.api = runProcess(API_MAIN, all, CHILD_CWD, { name: 'api', ...CHILD_OPTIONS });
    await waitUntil(async () => (await fetch(`${stack.url}/healthz`).catch(() => undefined))?.ok === true, 20_000, 'the API to answer /healthz');
  }
  return stack;
}

function startWorker(s: ScaleStack, extra: Record<string, string> = {}): RunningProcess {
  return runProcess(WORKER_MAIN, { ...s.env, ...extra }, CHILD_CWD, { name: 'worker', ...CHILD_OPTIONS });
}

async function stopScaleStack(s: ScaleStack): Promise<void> {
  await stopAll();
  s.client.disconnect();
  await s.redis.kill();
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m?.[1] && m[2]) calls.set(m[1], Number(m[2]));
  }
  return calls;
}
const totalCalls = (calls: Map<string, number>): number => [...calls.values()].reduce((a, b) => a + b, 0);
const infoField = async (redis: Redis, section: string, field: string): Promise<number> =>
  Number(new RegExp(`${field}:(\\d+)`).exec(await redis.info(section))?.[1] ?? NaN);
const rssMb = (pid: number | undefined): number =>
  pid === undefined ? NaN : Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
/** user + system CPU seconds of a process. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** `n` chat completions, `concurrency` at a time; returns how many were not a 200. */
async function send(url: string, n: number, concurrency: number, tag: string, stream = false): Promise<number> {
  const pool = createClient(url, Math.min(concurrency, n));
  let next = 0;
  let bad = 0;
  const loop = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const body = stream ? JSON.stringify({ ...JSON.parse(chatBody(`${tag} #${i}`)), stream: true }) : chatBody(`${tag} #${i}`);
      try {
        const res = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await res.body.text();
        if (res.statusCode !== 200) bad++;
      } catch {
        bad++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, loop));
  await pool.close();
  return bad;
}


/**
 * Sends `count` small chat completions at once over `sockets` raw connections, each request
 * written back to back (HTTP/1.1 pipelining: the API handles them concurrently and answers in
 * order; undici does not pipeline POSTs). Resolves when every answer's status line has arrived.
 */
function pipelinedBurst(port: number, count: number, sockets: number, tag: string): { done: Promise<void>; answered(): number; ok(): number } {
  let answered = 0;
  let ok = 0;
  const perSocket = Math.ceil(count / sockets);
  const done = Promise.all(
    Array.from({ length: sockets }, (_, c) => {
      const mine = Math.max(0, Math.min(perSocket, count - c * perSocket));
      return new Promise<void>((resolve) => {
        if (mine === 0) {
          resolve();
          return;
        }
        const socket = netConnect(port, '127.0.0.1');
        let seen = 0;
        let tail = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => {
          const text = tail + chunk;
          const statuses = text.match(/HTTP\/1\.1 \d{3}/g) ?? [];
          for (const st of statuses) {
            answered++;
            if (st.endsWith('200')) ok++;
          }
          seen += statuses.length;
          tail = text.slice(-16);
          if (seen >= mine) socket.end();
        });
        socket.on('close', () => resolve());
        socket.on('error', () => resolve());
        let out = '';
        for (let i = 0; i < mine; i++) {
          const body = chatBody(`${tag} #${c}.${i}`);
          out += `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
        }
        socket.write(out);
      });
    }),
  ).then(() => undefined);
  return { done, answered: () => answered, ok: () => ok };
}

function result(id: string, title: string, header: string[], rows: string[][], notes: string[], problems: string[], targets: ScenarioResult['targets'] = []): ScenarioResult {
  return { id, title, header, rows, notes, targets, problems };
}

/** Redis commands per proxied request, every command Redis ran counted (inside scripts too), idle polling subtracted. */
export async function redisCost({ quick, progress }: BenchOptions): Promise<ScenarioResult> {
  const keys = 16;
  const n = quick ? 100 : 1_000;
  const s = await startScaleStack(keys, LIMITS_OFF);
  const rows: string[][] = [];
  const problems: string[] = [];
  let plainPerRequest = NaN;
  try {
    await send(s.url, 200, 4, 'warm');
    const idle0 = totalCalls(await commandCalls(s.client));
    const idleStart = performance.now();
    await new Promise((r) => setTimeout(r, 3_000));
    const idlePerMs = (totalCalls(await commandCalls(s.client)) - idle0 - 1) / (performance.now() - idleStart);
    for (const [label, stream, concurrency] of [['plain, one at a time', false, 1], ['plain, 8 at a time', false, 8], ['streamed, one at a time', true, 1]] as const) {
      progress(`redis cost: ${n} requests, ${label}`);
      const before = await commandCalls(s.client);
      const t0 = performance.now();
      const bad = await send(s.url, n, concurrency, 'cost', stream);
      const elapsed = performance.now() - t0;
      const after = await commandCalls(s.client);
      if (bad > 0) problems.push(`redis cost (${label}): ${bad} requests failed`);
      const perRequest = (totalCalls(after) - totalCalls(before) - 1 - idlePerMs * elapsed) / n;
      if (label.startsWith('plain, one')) plainPerRequest = perRequest;
      const scripts = ((after.get('evalsha') ?? 0) - (before.get('evalsha') ?? 0)) / n;
      const top = [...after].map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / n] as const).filter(([, v]) => v >= 0.5).sort((a, b) => b[1] - a[1]).slice(0, 6);
      rows.push([label, ms(perRequest, 1), ms(scripts, 2), top.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')]);
    }
  } finally {
    await stopScaleStack(s);
  }
  return result(
    'redis-cost',
    `Redis commands per proxied request (${keys} keys, limits off, simulator at 0 ms, 1 API + 1 worker, own redis-server)`,
    ['load', 'commands / request', 'scripts run / request', 'most frequent (per request)'],
    rows,
    ['Counted from INFO commandstats of a redis-server only this run uses: commands inside Lua scripts count one each; the idle polling rate measured just before is subtracted.'],
    problems,
    [{ name: 'Redis commands per proxied request', value: ms(plainPerRequest, 1), target: '≤ 40 (with the router’s half)', met: plainPerRequest <= 40 }],
  );
}

/** 2,000 requests at once over 64 keys at 100 ms spacing: how close each key gets to one start per 100 ms. */
export async function pacing({ quick, progress }: BenchOptions): Promise<ScenarioResult> {
  const keys = 64;
  const n = quick ? 640 : 2_000;
  const interval = 100;
  // BENCH_PACING_TRACE=1: the worker traces each slot's steps (pacing-trace.ts), summarised below.
  const traceFile = process.env.BENCH_PACING_TRACE === '1' ? join(tmpdir(), `ork-pacing-trace-${process.pid}.jsonl`) : '';
  if (traceFile !== '') rmSync(traceFile, { force: true });
  const env = {
    KEY_MIN_INTERVAL_MS: String(interval),
    KEY_REQUESTS_PER_MINUTE: '0',
    KEY_REQUESTS_PER_DAY: '0',
    ...DEPARTURE_STAMPS,
    PACING_TRACE_FILE: traceFile,
  };
  const s = await startScaleStack(keys, env);
  let burstStart = 0;
  let edges = '';
  const problems: string[] = [];
  const rows: string[][] = [];
  let ratio = NaN;
  try {
    const port = Number(new URL(s.url).port);
    progress('pacing: warm-up, two requests per key');
    await send(s.url, keys * 2, keys, 'warm');
    await new Promise((r) => setTimeout(r, 1_000));
    await s.sim.control.reset();
    progress(`pacing: ${n} requests at once over ${keys} keys at ${interval} ms`);
    const t0 = performance.now();
    burstStart = Date.now();
    const burst = pipelinedBurst(port, n, 100, 'pace');
    await burst.done;
    const makespan = performance.now() - t0;
    const bad = n - burst.ok();
    if (bad > 0) problems.push(`pacing: ${bad} requests failed`);
    const records = (await s.sim.control.records()).filter((r: SimRecord) => JSON.stringify(r.body).includes('pace #'));
    const report = checkLimits(records, { minIntervalMs: interval, perMinute: 0, perDay: 0 }, { countOnlyKeys: s.keys });
    if (report.departures.length > 0) problems.push(`pacing: ${report.departures.length} departure violation(s)`);
    const byKey = new Map<string, SimRecord[]>();
    for (const r of records) byKey.set(r.key ?? '', [...(byKey.get(r.key ?? '') ?? []), r]);
    const gaps: number[] = [];
    const spans: number[] = [];
    for (const list of byKey.values()) {
      const departed = list.map((r) => r.departedAtMs ?? NaN).sort((a, b) => a - b);
      for (let i = 1; i < departed.length; i++) gaps.push((departed[i] ?? NaN) - (departed[i - 1] ?? NaN));
      if (departed.length > 1) spans.push(((departed.at(-1) ?? NaN) - (departed[0] ?? NaN)) / ((departed.length - 1) * interval));
    }
    gaps.sort((a, b) => a - b);
    // Where the makespan goes besides the keys' own spans: the first and last departures of each key.
    const firsts = [...byKey.values()].map((list) => Math.min(...list.map((r) => r.departedAtMs ?? NaN)) - burstStart);
    const lasts = [...byKey.values()].map((list) => Math.max(...list.map((r) => r.departedAtMs ?? NaN)) - burstStart);
    edges = `first departure ${int(Math.min(...firsts))} ms after the first send (latest key's first: ${int(Math.max(...firsts))} ms); last departure at ${int(Math.max(...lasts))} ms, last answer at ${int(makespan)} ms`;
    const ideal = (n / keys) * interval;
    ratio = makespan / ideal;
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
    rows.push([
      int(makespan),
      int(ideal),
      ms(ratio, 2),
      ms(mean(spans), 2),
      `${ms(gaps[Math.floor(gaps.length / 2)] ?? NaN, 0)} / ${ms(gaps[Math.floor(gaps.length * 0.9)] ?? NaN, 0)} / ${ms(mean(gaps), 1)}`,
      String(report.departures.length),
    ]);
  } finally {
    await stopScaleStack(s);
  }
  const notes = [
    'Gaps are between departures as the worker stamps them (TEST_HOOKS), the promise checked exactly; makespan is from the first send to the last answer at the client.',
    `Edges: ${edges}.`,
  ];
  // A worker from before PACING_TRACE_FILE (a before/after run) writes none.
  if (traceFile !== '' && existsSync(traceFile)) {
    const table = summarisePacingTrace(traceFile, burstStart);
    notes.push(`Slot trace (BENCH_PACING_TRACE=1), ms, phase: p50 / p90 / mean (n): ${table.map(([name, p50, p90, mean, count]) => `${name}: ${p50} / ${p90} / ${mean} (${count})`).join('; ')}`);
  }
  return result(
    'pacing',
    `Pacing at scale (${n} requests at once, ${keys} keys, KEY_MIN_INTERVAL_MS=${interval}, other limits off, 1 API + 1 worker, own redis-server)`,
    ['makespan ms', 'ideal ms (n / keys × interval)', 'ratio', 'per-key span / ideal', 'gap between a key’s departures p50 / p90 / mean ms', 'violations'],
    rows,
    notes,
    problems,
    [{ name: 'pacing makespan / ideal', value: ms(ratio, 2), target: '≤ 1.05', met: ratio <= 1.05 }],
  );
}

/** Redis memory per idle key, per retained job, and over rounds of load with the default retention. */
export async function memory({ quick, progress }: BenchOptions): Promise<ScenarioResult> {
  const keys = 16;
  const perRound = quick ? 500 : 5_000;
  const rounds = quick ? 2 : 4;
  const rows: string[][] = [];
  const problems: string[] = [];
  for (const retention of ['0', '3600']) {
    const s = await startScaleStack(keys, { ...LIMITS_OFF, JOB_RETENTION_SECONDS: retention }, { api: false, worker: false });
    try {
      const empty = await infoField(s.client, 'memory', 'used_memory');
      s.worker = startWorker(s);
      s.api = runProcess(API_MAIN, s.env, CHILD_CWD, { name: 'api', ...CHILD_OPTIONS });
      await waitUntil(async () => (await fetch(`${s.url}/healthz`).catch(() => undefined))?.ok === true, 20_000, 'the API');
      await send(s.url, keys, keys, 'warm');
      const idle = await infoField(s.client, 'memory', 'used_memory');
      rows.push([`JOB_RETENTION_SECONDS=${retention}`, 'idle, after one request per key', int(idle), `${int((idle - empty) / keys)} B per key`]);
      for (let round = 1; round <= rounds; round++) {
        progress(`memory (retention ${retention}): round ${round} of ${rounds}, ${perRound} requests`);
        const bad = await send(s.url, perRound, 32, `mem ${round}`);
        if (bad > 0) problems.push(`memory: ${bad} requests failed`);
        await new Promise((r) => setTimeout(r, 500));
        const used = await infoField(s.client, 'memory', 'used_memory');
        const perJob = retention === '0' ? '' : `${int((used - idle) / (round * perRound))} B per retained job`;
        rows.push([`JOB_RETENTION_SECONDS=${retention}`, `after ${int(round * perRound)} requests`, int(used), perJob]);
      }
    } finally {
      await stopScaleStack(s);
    }
  }
  return result(
    'memory',
    `Redis memory (${keys} keys, limits off, 1 API + 1 worker, own redis-server)`,
    ['retention', 'when', 'used_memory bytes', 'per'],
    rows,
    [
      'With the default retention a finished request leaves only a generation-owner entry (for GET /generation, one hour) and its key’s daily counters; retained jobs keep no prompt (JOB_RETENTION_KEEP_PROMPTS=false).',
    ],
    problems,
  );
}

/** 1,000 keys on one worker process: start-up, Redis connections, RSS, idle CPU and Redis commands. */
export async function idleKeys({ quick, progress }: BenchOptions): Promise<ScenarioResult> {
  const keys = quick ? 200 : 1_000;
  const s = await startScaleStack(keys, { LOG_LEVEL: 'info', KEY_CONCURRENCY: '1' }, { api: false, worker: false });
  const rows: string[][] = [];
  const targets: ScenarioResult['targets'] = [];
  let breakdown = '';
  try {
    progress(`idle keys: starting one worker process with ${keys} keys`);
    const t0 = performance.now();
    const worker = startWorker(s);
    await worker.waitForLog('key workers started', 180_000);
    const startup = performance.now() - t0;
    // Past the start-up sweep (three passes 5 s apart over every queue), so the figures are the steady state.
    await new Promise((r) => setTimeout(r, 17_000));
    const calls0 = await commandCalls(s.client);
    const c0 = totalCalls(calls0);
    const w0 = cpuSeconds(worker.pid);
    const r0 = cpuSeconds(s.redis.pid);
    const i0 = performance.now();
    progress('idle keys: measuring 20 s of idleness');
    await new Promise((r) => setTimeout(r, 20_000));
    const seconds = (performance.now() - i0) / 1000;
    const calls1 = await commandCalls(s.client);
    const commands = (totalCalls(calls1) - c0) / seconds;
    const perCommand = [...calls1].map(([name, n]) => [name, (n - (calls0.get(name) ?? 0)) / seconds] as const).filter(([, r]) => r >= 1);
    perCommand.sort((a, b) => b[1] - a[1]);
    breakdown = perCommand.slice(0, 8).map(([name, r]) => `${name} ${int(r)}`).join(', ');
    const workerCpu = (cpuSeconds(worker.pid) - w0) / seconds;
    const redisCpu = (cpuSeconds(s.redis.pid) - r0) / seconds;
    const connections = (await infoField(s.client, 'clients', 'connected_clients')) - 1;
    const rss = rssMb(worker.pid);
    rows.push([int(keys), int(startup), int(connections), int(rss), `${ms(workerCpu * 100, 2)} %`, `${ms(redisCpu * 100, 2)} %`, int(commands)]);
    targets.push({ name: `worker RSS with ${keys} keys`, value: `${int(rss)} MB`, target: '≤ 400 MB', met: rss <= 400 });
    targets.push({ name: `idle Redis CPU with ${keys} keys`, value: `${ms(redisCpu * 100, 2)} %`, target: '≤ 1 % of a core', met: redisCpu <= 0.01 });
  } finally {
    await stopScaleStack(s);
  }
  return result(
    'idle-keys',
    'Many keys on one worker process (default limits, idle, own redis-server)',
    ['keys', 'start-up ms', 'Redis connections', 'worker RSS MB', 'idle worker CPU (of a core)', 'idle Redis CPU (of a core)', 'idle Redis commands/s'],
    rows,
    [
      'Each key has its own BullMQ Worker, which holds one blocking connection: N worker processes hold N × keys connections (plus 4 each).',
      `Idle commands per second, by command (scripts' inner commands included): ${breakdown}.`,
    ],
    [],
    targets,
  );
}

/**
 * `count` small requests queued at once with no worker running, then drained by one. The load
 * generator writes pipelined HTTP/1.1 requests on raw sockets (undici does not pipeline POSTs).
 */
export async function queued({ quick, progress }: BenchOptions): Promise<ScenarioResult> {
  const count = Number(process.env.BENCH_QUEUED ?? (quick ? 5_000 : 100_000));
  const keys = 16;
  const sockets = 500;
  const s = await startScaleStack(keys, { ...LIMITS_OFF, QUEUE_TIMEOUT_MS: '3600000' }, { worker: false });
  const rows: string[][] = [];
  const problems: string[] = [];
  const targets: ScenarioResult['targets'] = [];
  try {
    const before = await infoField(s.client, 'memory', 'used_memory');
    const port = Number(new URL(s.url).port);
    progress(`queued: sending ${int(count)} requests over ${sockets} pipelined connections, no worker running`);
    const t0 = performance.now();
    const burst = pipelinedBurst(port, count, sockets, 'q');
    const waitingJobs = async (): Promise<number> => {
      let n = 0;
      for (const key of await s.client.keys('bench:key-*:wait')) n += await s.client.llen(key);
      return n;
    };
    await waitUntil(async () => (await waitingJobs()) + burst.answered() >= count, 600_000, 'every request to be queued');
    const enqueueMs = performance.now() - t0;
    const queuedNow = await waitingJobs();
    const used = await infoField(s.client, 'memory', 'used_memory');
    const apiRss = rssMb(s.api?.pid);
    const perRequest = (used - before) / Math.max(1, queuedNow);
    progress(`queued: ${int(queuedNow)} waiting; starting the worker to drain them`);
    const d0 = performance.now();
    startWorker(s);
    await Promise.race([burst.done, new Promise((r) => setTimeout(r, 900_000))]);
    const drainMs = performance.now() - d0;
    if (burst.ok() !== count) problems.push(`queued: ${count - burst.ok()} of ${count} requests were not answered 200 (${burst.answered()} answered)`);
    rows.push([int(count), int(queuedNow), int(count / (enqueueMs / 1000)), int(perRequest), int(apiRss), `${ms(drainMs / 1000, 1)} s`, int(burst.ok())]);
    targets.push({ name: 'Redis bytes per queued small request', value: int(perRequest), target: '≤ 2,048', met: perRequest <= 2048 });
  } finally {
    await stopScaleStack(s);
  }
  return result(
    'queued',
    `Requests queued at once (${keys} keys, limits off, 1 API process; the worker starts once all are queued; own redis-server)`,
    ['requests', 'queued at once', 'enqueue rate req/s', 'Redis bytes per queued request', 'API RSS MB (all waiting)', 'drain time', 'answered 200'],
    rows,
    ['A small request is a one-message chat completion (~80-byte body). Bytes per request = used_memory growth / jobs waiting.'],
    problems,
    targets,
  );
}
