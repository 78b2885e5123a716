/**
 * Soak test (not part of `npm test`): a mixed load of plain and streamed requests through two
 * worker processes and one API, with upstream faults injected and a worker SIGKILLed and
 * replaced every KILL_EVERY_MS, for SOAK_SECONDS. Loopback only, bounded in time and count.
 * Prints requests sent, answered, failed by cause, lost (must be 0) and limit violations (must be 0).
 *
 *   npm run soak                 # 180 s
 *   SOAK_SECONDS=60 npm run soak
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { findViolations } from '../../apps/simulator/dist/index.js';
import { startNode, stopAll } from '../bench/processes.js';
import { API_MAIN, WORKER_MAIN, fakeKey, startSimulator } from '../bench/stack.js';
import { connect, deleteByPrefix, freshPrefix, openRedis } from '../bench/redis.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 24);
const KILL_EVERY_MS = 30_000;
const FAULT_EVERY_MS = 5_000;
const MAX_REQUESTS = 50_000;
const LIMITS = { minIntervalMs: 100, perMinute: 400, perDay: 0 };
const KEYS = Array.from({ length: 4 }, fakeKey);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const FAULTS = [
  { status: 502, times: 3 },
  { status: 503, body: { error: { message: 'No provider available', code: 503 } }, times: 2 },
  { status: 429, body: { error: { message: 'Provider returned error', code: 429, metadata: { raw: 'busy' } } }, times: 3 },
  { status: 200, body: { error: { message: 'upstream broke', code: 502 } }, times: 2 },
  { status: 408, times: 2 },
];

/** nice applies per thread on Linux: raise the simulator's GC and I/O threads too, not just its main one. */
function prioritiseAllThreads(pid, niceness) {
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) setPriority(Number(tid), niceness);
  } catch {
    // Not Linux or not permitted: arrival stamps then carry more jitter.
  }
}

/** SOAK_TRACE=1: workers log every departure, and short gaps at the fake are compared with them. */
const TRACE = process.env.SOAK_TRACE === '1';
const departures = new Map(); // keyId -> sentAt[]

function workerEnv(common) {
  return { ...common, LOG_LEVEL: TRACE ? 'debug' : 'warn' };
}

function collectDepartures(worker) {
  worker
    .waitForLine((line) => {
      if (line.includes('"upstream answered"')) {
        const m = JSON.parse(line);
        if (m.sentAt > 0) (departures.get(m.keyId) ?? departures.set(m.keyId, []).get(m.keyId)).push(m.sentAt);
      }
      return undefined;
    }, 3_600_000)
    .catch(() => undefined);
}

/** For each arrival gap under the limit: the gap between the matching departures (the last one before each arrival). */
function explainShortGaps(records, minIntervalMs) {
  const lines = [];
  const byKey = new Map();
  for (const r of records) if (r.key) (byKey.get(r.key) ?? byKey.set(r.key, []).get(r.key)).push(r.hrMs);
  for (const [key, arrivals] of byKey) {
    arrivals.sort((a, b) => a - b);
    const sent = (departures.get(createHash('sha256').update(key).digest('hex').slice(0, 12)) ?? []).sort((a, b) => a - b);
    const before = (t) => sent.filter((x) => x <= t + 0.5).at(-1);
    let minDeparture = Infinity;
    for (let i = 1; i < sent.length; i++) minDeparture = Math.min(minDeparture, sent[i] - sent[i - 1]);
    lines.push(`key …${key.slice(-4)}: ${arrivals.length} arrivals, ${sent.length} departures logged, smallest departure gap ${minDeparture.toFixed(1)} ms`);
    for (let i = 1; i < arrivals.length; i++) {
      const gap = arrivals[i] - arrivals[i - 1];
      if (gap >= minIntervalMs) continue;
      const d0 = before(arrivals[i - 1]);
      const d1 = before(arrivals[i]);
      lines.push(
        `  short arrival gap ${gap.toFixed(1)} ms; departures ${d0 === undefined || d1 === undefined ? 'not logged' : `${(d1 - d0).toFixed(1)} ms apart, arrivals ${(arrivals[i - 1] - d0).toFixed(1)} and ${(arrivals[i] - d1).toFixed(1)} ms after them`}`,
      );
    }
  }
  return lines;
}

async function main() {
  const redis = openRedis(REDIS_URL);
  await connect(redis, REDIS_URL);
  const prefix = freshPrefix();
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
  };
  const workers = [];
  const startWorker = async () => {
    const w = startNode(`worker-${workers.length}`, WORKER_MAIN, { env: workerEnv(common), cwd: process.cwd() });
    workers.push(w);
    if (TRACE) collectDepartures(w);
  };
  await startWorker();
  await startWorker();
  const api = startNode('api', API_MAIN, { env: { ...common, PORT: '0', LOG_LEVEL: 'info' }, cwd: process.cwd() });
  const apiUrl = await api.waitForLine((line) => {
    try {
      const m = JSON.parse(line);
      return m.msg === 'api listening' ? m.url : undefined;
    } catch {
      return undefined;
    }
  });

  const outcome = { sent: 0, answered: 0, wrongAnswer: 0, failed: {}, lost: 0 };
  const deadline = Date.now() + SECONDS * 1000;
  const faultTimer = setInterval(() => {
    const fault = FAULTS[Math.floor(Math.random() * FAULTS.length)];
    void sim.control.configure({ faults: [fault] }).catch(() => undefined);
  }, FAULT_EVERY_MS);
  let kills = 0;
  const killTimer = setInterval(() => {
    const victim = workers.find((w) => w.alive());
    if (!victim) return;
    victim.child.kill('SIGKILL');
    kills++;
    void startWorker();
  }, KILL_EVERY_MS);

  const one = async (i) => {
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
        const code = (() => {
          try {
            return JSON.parse(text).error?.code ?? 'unknown';
          } catch {
            return 'not-json';
          }
        })();
        const cause = `${res.status} ${code}`;
        outcome.failed[cause] = (outcome.failed[cause] ?? 0) + 1;
        return;
      }
      const answer = stream
        ? text
            .split('\n')
            .filter((l) => l.startsWith('data: {'))
            .map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? '')
            .join('')
        : JSON.parse(text).choices?.[0]?.message?.content;
      if (answer === `echo: ${content}`) outcome.answered++;
      else if (stream && text.includes('"error"')) outcome.failed['stream error chunk'] = (outcome.failed['stream error chunk'] ?? 0) + 1;
      else outcome.wrongAnswer++;
    } catch (err) {
      outcome.lost++;
      console.error(`lost request ${i}: ${err.message}`);
    }
  };

  let next = 0;
  const loop = async () => {
    while (Date.now() < deadline && next < MAX_REQUESTS) await one(next++);
  };
  const started = Date.now();
  const progress = setInterval(() => {
    process.stdout.write(`\r${Math.round((Date.now() - started) / 1000)} s: sent ${outcome.sent}, answered ${outcome.answered}, kills ${kills}   `);
  }, 1000);
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  clearInterval(progress);
  clearInterval(faultTimer);
  clearInterval(killTimer);
  process.stdout.write('\n');

  const records = (await sim.control.records()).filter((r) => r.path.endsWith('completions'));
  const violations = findViolations(records, LIMITS);
  const elapsed = Math.round((Date.now() - started) / 1000);
  const rows = [
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
    ['limit violations at the fake upstream', violations.length],
  ];
  console.log('\n| measure | value |\n| --- | --- |');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  for (const v of violations) console.log(`violation: ${JSON.stringify(v)}`);
  if (TRACE) for (const line of explainShortGaps(records, LIMITS.minIntervalMs)) console.log(line);

  await stopAll();
  await deleteByPrefix(redis, prefix);
  redis.disconnect();
  return outcome.lost === 0 && violations.length === 0 && outcome.wrongAnswer === 0;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  async (err) => {
    console.error(err);
    await stopAll();
    process.exit(1);
  },
);
