/**
 * Scenario 6, batch: a 5,000-line OpenAI batch over 8 keys at a short spacing while a steady
 * interactive load (one synchronous chat completion every 250 ms) runs beside it. The batch's
 * lines wait in the gateway's own backlog and enter a key's queue only when the key can start them
 * soon, below synchronous requests; how close the pool gets to its theoretical minimum, and what
 * the interactive requests wait meanwhile, is what this measures.
 */
import { SLOT_HORIZON_MS, enforcedSpacingMs } from '@ork/shared';
import { checkLimits, findViolations, type SimRecord } from '@ork/simulator';
import type { BenchStack, Scenario, ScenarioResult } from '../result.js';
import { int, ms, summarize } from '../stats.js';
import { DEPARTURE_STAMPS } from '../gateway-env.js';

export const SPACING_MS = 50;
export const LINES = 5_000;
const QUICK_LINES = 800;
const INTERACTIVE_EVERY_MS = 250;
export const TARGET_RATIO = 1.02;
/**
 * A synchronous request goes ahead of every background job still in its key's queue, but not of
 * those a worker already holds for a slot within SLOT_HORIZON_MS; then its own slot, plus the
 * round trip (100 ms on a busy machine).
 */
export const INTERACTIVE_P99_BOUND_MS = SLOT_HORIZON_MS + 2 * SPACING_MS + 100;

export const GATEWAY_ENV = { KEY_MIN_INTERVAL_MS: String(SPACING_MS), KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0', ...DEPARTURE_STAMPS };

const content = (r: SimRecord): string => {
  const first = (r.body as { messages?: { content?: unknown }[] } | null)?.messages?.[0]?.content;
  return typeof first === 'string' ? first : '';
};

async function json(res: Response): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
  return body;
}

export const batchScenario: Scenario = async (stack: BenchStack, { quick, progress }): Promise<ScenarioResult> => {
  const base = `${stack.gateway.url}/v1`;
  const lines = quick ? QUICK_LINES : LINES;
  const problems: string[] = [];
  const jsonl = Array.from({ length: lines }, (_, i) =>
    JSON.stringify({ custom_id: `l${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'm:free', messages: [{ role: 'user', content: `batch ${i}` }] } }),
  ).join('\n');
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([jsonl]), 'bench.jsonl');
  progress(`batch: uploading ${lines} lines`);
  const file = await json(await fetch(`${base}/files`, { method: 'POST', body: form }));
  const createdAt = Date.now();
  const batch = await json(
    await fetch(`${base}/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    }),
  );
  const createMs = Date.now() - createdAt;

  let stop = false;
  const latencies: number[] = [];
  let interactiveFailed = 0;
  const interactive = (async () => {
    for (let i = 0; !stop; i++) {
      const t = performance.now();
      const res = await fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm:free', messages: [{ role: 'user', content: `interactive ${i}` }] }),
      });
      await res.arrayBuffer();
      if (res.ok) latencies.push(performance.now() - t);
      else interactiveFailed++;
      await new Promise((r) => setTimeout(r, INTERACTIVE_EVERY_MS));
    }
  })();
  progress(`batch: running ${lines} lines over ${stack.keys.length} keys at ${SPACING_MS} ms, one interactive request every ${INTERACTIVE_EVERY_MS} ms`);
  let final: Record<string, unknown> = batch;
  const deadline = Date.now() + 30 * 60_000;
  while (final.status !== 'completed' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    final = await json(await fetch(`${base}/batches/${String(batch.id)}`));
  }
  stop = true;
  await interactive;
  const counts = final.request_counts as { total: number; completed: number; failed: number };
  if (final.status !== 'completed' || counts.completed !== lines) problems.push(`batch: ended ${String(final.status)} with ${JSON.stringify(counts)}`);
  if (interactiveFailed > 0) problems.push(`batch: ${interactiveFailed} interactive request(s) failed`);

  const records = (await stack.sim.control.records()).filter((r) => r.path.endsWith('/chat/completions'));
  // The promise, exactly, on the workers' departure stamps; the fake's arrival stamps only reported.
  const report = checkLimits(records, { minIntervalMs: SPACING_MS });
  const violations = report.departures;
  const shortArrivals = findViolations(records, { minIntervalMs: SPACING_MS }).length;
  if (violations.length > 0) problems.push(`batch: ${violations.length} limit violation(s)`);
  if (report.missingDepartures > 0) problems.push(`batch: ${report.missingDepartures} request(s) without a departure stamp (TEST_HOOKS off?)`);
  const batchArrivals = records.filter((r) => content(r).startsWith('batch ')).map((r) => r.hrMs).sort((a, b) => a - b);
  const first = batchArrivals[0] ?? NaN;
  const last = batchArrivals.at(-1) ?? NaN;
  // Every request the pool started while the batch ran, interactive ones included, shares its capacity.
  const inSpan = records.filter((r) => r.hrMs >= first && r.hrMs <= last).length;
  const keys = stack.keys.length;
  const minimumMs = (Math.ceil(inSpan / keys) - 1) * SPACING_MS;
  const floorMs = (Math.ceil(inSpan / keys) - 1) * enforcedSpacingMs({ minIntervalMs: SPACING_MS });
  const spanMs = last - first;
  const ratio = spanMs / minimumMs;
  const s = summarize(latencies);
  return {
    id: 'batch',
    title: `6. Batch beside interactive load (${int(lines)} lines, ${keys} keys, KEY_MIN_INTERVAL_MS=${SPACING_MS}, 1 API + 1 worker process)`,
    header: ['lines', 'requests in span', 'minimum ms', 'span ms', 'ratio', 'create ms', 'interactive n', 'interactive p50 ms', 'interactive p99 ms', 'violations', 'short arrival gaps'],
    rows: [[int(lines), int(inSpan), int(minimumMs), int(spanMs), ratio.toFixed(3), int(createMs), int(latencies.length), ms(s.p50, 1), ms(s.p99, 1), String(violations.length), String(shortArrivals)]],
    notes: [
      `violations = the limits checked exactly on the workers' departure stamps; short arrival gaps = arrivals the fake stamped less than ${SPACING_MS} ms apart (reported, not a violation).`,
      `minimum = (⌈requests in span / ${keys}⌉ − 1) × ${SPACING_MS} ms, span = first to last batch arrival at the simulator; the gateway's own floor (its jitter margin over the spacing) is ${int(floorMs)} ms.`,
      `interactive = end-to-end time of a synchronous chat completion sent every ${INTERACTIVE_EVERY_MS} ms while the batch runs (queue wait plus the round trip: an upper bound of its queue wait).`,
    ],
    targets: [
      { name: 'batch span / minimum', value: ratio.toFixed(3), target: `≤ ${TARGET_RATIO.toFixed(2)}`, met: ratio <= TARGET_RATIO },
      { name: 'interactive p99', value: `${ms(s.p99, 1)} ms`, target: `< ${INTERACTIVE_P99_BOUND_MS} ms`, met: s.p99 < INTERACTIVE_P99_BOUND_MS },
      { name: 'limit violations', value: String(violations.length), target: '0', met: violations.length === 0 },
    ],
    problems,
  };
};
