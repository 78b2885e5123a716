/**
 * Soak test (not part of `npm test`): a mixed load of plain and streamed requests through two
 * worker processes and one API, with upstream faults injected and a worker SIGKILLed and
 * replaced every KILL_EVERY_MS, for SOAK_SECONDS. Loopback only, bounded in time and count.
 * Prints requests sent, answered, failed by cause, lost (must be 0) and limit violations (must be 0).
 *
 *   npm run soak                 # 180 s (= tsc -b && tsx scripts/soak/run.ts)
 *   SOAK_SECONDS=60 npm run soak
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { checkLimits, findViolations, type Fault, type SimRecord } from '@ork/simulator';
import { fakeKey } from '../../test/support/fake-keys.js';
import { API_MAIN, WORKER_MAIN, parseJsonLine, runProcess, stopAll, type RunningProcess } from '../../test/support/processes.js';
import { deleteByPrefix, freshPrefix } from '../../test/support/redis-cleanup.js';
import { answerOf, deltaOf, parseCompletion } from '../bench/load.js';
import { connect, errorMessage, openRedis } from '../bench/redis.js';
import { DEPARTURE_STAMPS } from '../bench/gateway-env.js';
import { CHILD_OPTIONS, startSimulator } from '../bench/stack.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 24);
const KILL_EVERY_MS = 30_000;
const FAULT_EVERY_MS = 5_000;
const MAX_REQUESTS = 50_000;
const LIMITS = { minIntervalMs: 100, perMinute: 400, perDay: 0 };
const KEYS = Array.from({ length: 4 }, fakeKey);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const FAULTS: Fault[] = [
  { status: 502, times: 3 },
  { status: 503, body: { error: { message: 'No provider available', code: 503 } }, times: 2 },
  { status: 429, body: { error: { message: 'Provider returned error', code: 429, metadata: { raw: 'busy' } } }, times: 3 },
  { status: 200, body: { error: { message: 'upstream broke', code: 502 } }, times: 2 },
  { status: 408, times: 2 },
];

/** nice applies per thread on Linux: raise the simulator's GC and I/O threads too, not just its main one. */
function prioritiseAllThreads(pid: number | undefined, niceness: number): void {
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) setPriority(Number(tid), niceness);
  } catch {
    // Not Linux or not permitted: arrival stamps then carry more jitter.
  }
}

/** SOAK_TRACE=1: workers log every departure, and short gaps at the fake are compared with them. */
const TRACE = process.env.SOAK_TRACE === '1';
/** keyId -> sentAt[] */
const departures = new Map<string, number[]>();

function workerEnv(common: Record<string, string>): Record<string, string> {
  return { ...common, LOG_LEVEL: TRACE ? 'debug' : 'warn' };
}

function collectDepartures(worker: RunningProcess): void {
  worker.onLine((line) => {
    if (!line.includes('"upstream answered"')) return;
    const m = parseJsonLine(line);
    if (typeof m?.keyId !== 'string' || typeof m.sentAt !== 'number' || m.sentAt <= 0) return;
    const list = departures.get(m.keyId) ?? [];
    departures.set(m.keyId, list);
    list.push(m.sentAt);
  });
}

/** For each arrival gap under the limit: the gap between the matching departures (the last one before each arrival). */
function explainShortGaps(records: readonly SimRecord[], minIntervalMs: number): string[] {
  const lines: string[] = [];
  const byKey = new Map<string, number[]>();
  for (const r of records) {
    if (!r.key) continue;
    const list = byKey.get(r.key) ?? [];
    byKey.set(r.key, list);
    list.push(r.hrMs);
  }
  for (const [key, arrivals] of byKey) {
    arrivals.sort((a, b) => a - b);
    const sent = (departures.get(createHash('sha256').update(key).digest('hex').slice(0, 12)) ?? []).sort((a, b) => a - b);
    const before = (t: number): number | undefined => sent.filter((x) => x <= t + 0.5).at(-1);
    let minDeparture = Infinity;
    for (let i = 1; i < sent.length; i++) minDeparture = Math.min(minDeparture, (sent[i] ?? NaN) - (sent[i - 1] ?? NaN));
    lines.push(`key …${key.slice(-4)}: ${arrivals.length} arrivals, ${sent.length} departures logged, smallest departure gap ${minDeparture.toFixed(1)} ms`);
    for (let i = 1; i < arrivals.length; i++) {
      const a0 = arrivals[i - 1] ?? NaN;
      const a1 = arrivals[i] ?? NaN;
      const gap = a1 - a0;
      if (gap >= minIntervalMs) continue;
      const d0 = before(a0);
      const d1 = before(a1);
      lines.push(
        `  short arrival gap ${gap.toFixed(1)} ms; departures ${d0 === undefined || d1 === undefined ? 'not logged' : `${(d1 - d0).toFixed(1)} ms apart, arrivals ${(a0 - d0).toFixed(1)} and ${(a1 - d1).toFixed(1)} ms after them`}`,
      );
    }
  }
  return lines;
}

const redis = openRedis(REDIS_URL);
let prefix: string | undefined;
let cleaning: Promise<void> | undefined;
/** Every child stopped and the run's Redis keys gone: on success, on failure and on Ctrl-C. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAll();
    if (prefix !== undefined) {
      try {
        await deleteByPrefix(redis, prefix);
      } catch (err) {
        console.error(`soak: could not delete Redis keys ${prefix}:* (${errorMessage(err)})`);
      }
    }
    redis.disconnect();
  })();
  return cleaning;
}
// Ctrl-C (or a SIGTERM to this process alone) still stops the children and removes the keys.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    console.error(`soak: ${signal}, cleaning up`);
    void cleanup().finally(() => process.exit(code));
  });
}

async function main(): Promise<boolean> {
  await connect(redis, REDIS_URL);
  prefix = freshPrefix('bench');
  const sim = await startSimulator({ priority: -15, env: { SIM_LATENCY_MS: '150', SIM_CHUNK_DELAY_MS: '5' } });
  prioritiseAllThreads(sim.proc.pid, -15);
  const common = {
    OPENROUTER_API_KEYS: KEYS.join(','),
    OPENROUTER_BASE_URL: sim.url,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    HOST: '127.0.0.1',
    KEY_MIN_INTERVAL_MS: String(LIMITS.minIntervalMs),
    KEY_REQUESTS_PER_MINUTE: String(LIMITS.perMinute),
    KEY_REQUESTS_PER_DAY: '0',
    QUEUE_TIMEOUT_MS: '120000',
    KEY_CONCURRENCY: '16',
    // The promise is checked exactly on the workers' departure stamps; arrivals only reported.
    ...DEPARTURE_STAMPS,
  };
  const workers: RunningProcess[] = [];
  const startWorker = (): void => {
    const w = runProcess(WORKER_MAIN, workerEnv(common), undefined, { name: `worker-${workers.length}`, ...CHILD_OPTIONS });
    workers.push(w);
    if (TRACE) collectDepartures(w);
  };
  startWorker();
  startWorker();
  const api = runProcess(API_MAIN, { ...common, PORT: '0', LOG_LEVEL: 'info' }, undefined, { name: 'api', ...CHILD_OPTIONS });
  const apiUrl = String((await api.waitForLog('api listening', 15_000)).url);

  const outcome = { sent: 0, answered: 0, wrongAnswer: 0, failed: {} as Record<string, number>, lost: 0 };
  const deadline = Date.now() + SECONDS * 1000;
  const faultTimer = setInterval(() => {
    const fault = FAULTS[Math.floor(Math.random() * FAULTS.length)];
    if (fault) void sim.control.configure({ faults: [fault] }).catch(() => undefined);
  }, FAULT_EVERY_MS);
  let kills = 0;
  const killTimer = setInterval(() => {
    const victim = workers.find((w) => w.alive());
    if (!victim) return;
    victim.child.kill('SIGKILL');
    kills++;
    startWorker();
  }, KILL_EVERY_MS);

  const one = async (i: number): Promise<void> => {
    const stream = i % 3 === 0;
    const content = `soak ${i}`;
    outcome.sent++;
    try {
      const res = await fetch(`${apiUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'test/echo:free', stream, messages: [{ role: 'user', content }] }),
        signal: AbortSignal.timeout(150_000),
      });
      const text = await res.text();
      if (res.status !== 200) {
        const body = parseCompletion(text);
        const code = body === undefined ? 'not-json' : (body.error?.code ?? 'unknown');
        const cause = `${res.status} ${typeof code === 'string' || typeof code === 'number' ? code : JSON.stringify(code)}`;
        outcome.failed[cause] = (outcome.failed[cause] ?? 0) + 1;
        return;
      }
      const answer = stream
        ? text
            .split('\n')
            .filter((l) => l.startsWith('data: {'))
            .map((l) => deltaOf(l.slice(6)) ?? '')
            .join('')
        : answerOf(text);
      if (answer === `echo: ${content}`) outcome.answered++;
      else if (stream && text.includes('"error"')) outcome.failed['stream error chunk'] = (outcome.failed['stream error chunk'] ?? 0) + 1;
      else outcome.wrongAnswer++;
    } catch (err) {
      outcome.lost++;
      console.error(`lost request ${i}: ${errorMessage(err)}`);
    }
  };

  const started = Date.now();
  // Redis memory of this run's keys (MEMORY USAGE over its prefix), sampled every 20 s: it must stay flat.
  const memorySamples: string[] = [];
  const sampleMemory = async (): Promise<void> => {
    let all = 0;
    let owners = 0;
    let cursor = '0';
    do {
      const [nextCursor, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = nextCursor;
      for (const key of found) {
        const bytes = (await redis.memory('USAGE', key)) ?? 0;
        all += bytes;
        if (key.includes(':generation:')) owners += bytes;
      }
    } while (cursor !== '0');
    memorySamples.push(`${Math.round((Date.now() - started) / 1000)} s: ${Math.round(all / 1024)} KB (${Math.round((all - owners) / 1024)} KB without generation owners)`);
  };
  const memoryTimer = setInterval(() => void sampleMemory().catch(() => undefined), 20_000);

  let next = 0;
  const loop = async (): Promise<void> => {
    while (Date.now() < deadline && next < MAX_REQUESTS) await one(next++);
  };
  const progress = setInterval(() => {
    process.stdout.write(`\r${Math.round((Date.now() - started) / 1000)} s: sent ${outcome.sent}, answered ${outcome.answered}, kills ${kills}   `);
  }, 1000);
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  clearInterval(progress);
  clearInterval(memoryTimer);
  clearInterval(faultTimer);
  clearInterval(killTimer);
  process.stdout.write('\n');

  const records = (await sim.control.records()).filter((r) => r.path.endsWith('completions'));
  const report = checkLimits(records, LIMITS);
  const violations = report.departures;
  const shortArrivals = findViolations(records, LIMITS).length;
  const elapsed = Math.round((Date.now() - started) / 1000);
  const rows: [string, string | number][] = [
    ['duration', `${elapsed} s`],
    ['keys / worker processes / API processes', `${KEYS.length} / 2 (one SIGKILLed and replaced every ${KILL_EVERY_MS / 1000} s) / 1`],
    ['limits', `${LIMITS.minIntervalMs} ms spacing, ${LIMITS.perMinute}/min`],
    ['requests sent (⅓ streamed)', outcome.sent],
    ['answered correctly', outcome.answered],
    ['failed, by cause', Object.entries(outcome.failed).map(([k, v]) => `${k}: ${v}`).join(', ') || '0'],
    ['wrong answers', outcome.wrongAnswer],
    ['lost (no answer at all)', outcome.lost],
    ['upstream requests (incl. retries, re-runs after kills)', records.length],
    ['worker kills', kills],
    ['limit violations (departure stamps, exact)', violations.length],
    ['requests without a departure stamp', report.missingDepartures],
    [`arrival gaps under the limit at the fake (its own stamps; beyond the ${report.arrivalToleranceMs} ms tolerance)`, `${shortArrivals} (${report.arrivals.length})`],
    ['Redis memory of the run’s keys, every 20 s', memorySamples.join('; ') || 'n/a'],
  ];
  console.log('\n| measure | value |\n| --- | --- |');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  for (const v of violations) console.log(`violation: ${JSON.stringify(v)}`);
  if (TRACE) for (const line of explainShortGaps(records, LIMITS.minIntervalMs)) console.log(line);

  await cleanup();
  return outcome.lost === 0 && violations.length === 0 && report.missingDepartures === 0 && outcome.wrongAnswer === 0;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  async (err: unknown) => {
    console.error(err);
    await cleanup();
    process.exit(1);
  },
);
