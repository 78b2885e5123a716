/**
 * Closed-loop HTTP load generator on undici's Pool: `concurrency` loops each send one chat
 * completion, wait for the whole answer, check it, record the latency, and send the next.
 * Bounded by a request count and a duration, whichever comes first.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export const CHAT_PATH = {
  direct: '/api/v1/chat/completions',
  proxied: '/v1/chat/completions',
};

/** One keep-alive pool per target, reused across phases so measured runs pay no connection set-up. */
export function createClient(origin, connections) {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
}

export function chatBody(content) {
  return JSON.stringify({ model: 'bench/echo:free', messages: [{ role: 'user', content }] });
}

/** The assistant's text in an OpenAI chat completion, or undefined when the body is not one. */
export function answerOf(text) {
  try {
    return JSON.parse(text)?.choices?.[0]?.message?.content;
  } catch {
    return undefined;
  }
}

/**
 * @param {object} o
 * @param {import('undici').Pool} o.client
 * @param {string} o.path
 * @param {number} o.concurrency requests in flight at once
 * @param {number} o.total upper bound on requests sent
 * @param {number} [o.maxDurationMs] stop sending new requests after this
 * @param {string} o.tag makes every prompt unique: `<tag> #<i>`
 * @param {(i: number) => Record<string, string>} [o.headersFor] extra headers per request
 * @returns {Promise<LoadResult>}
 */
export async function runLoad({ client, path, concurrency, total, maxDurationMs = 60_000, tag, headersFor }) {
  const latencies = new Float64Array(total);
  let ok = 0;
  let sent = 0;
  let errors = 0;
  let wrong = 0;
  let firstProblem;
  let lastAnswerAt = 0;
  const started = performance.now();
  const deadline = started + maxDurationMs;

  const one = async (i) => {
    const content = `${tag} #${i}`;
    const headers = { 'content-type': 'application/json', ...headersFor?.(i) };
    const t0 = performance.now();
    try {
      const res = await client.request({ path, method: 'POST', headers, body: chatBody(content) });
      const text = await res.body.text();
      const t1 = performance.now();
      lastAnswerAt = Math.max(lastAnswerAt, t1);
      const answer = res.statusCode === 200 ? answerOf(text) : undefined;
      if (answer === `echo: ${content}`) {
        latencies[ok++] = t1 - t0;
      } else {
        wrong++;
        firstProblem ??= `request ${i}: HTTP ${res.statusCode}, expected "echo: ${content}", got ${text.slice(0, 300)}`;
      }
    } catch (err) {
      lastAnswerAt = Math.max(lastAnswerAt, performance.now());
      errors++;
      firstProblem ??= `request ${i}: ${err.code ?? ''} ${err.message}`;
    }
  };

  const loop = async () => {
    while (sent < total && performance.now() < deadline) {
      await one(sent++);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, loop));
  const finished = performance.now();
  return {
    sent,
    ok,
    errors,
    wrong,
    firstProblem,
    latencies: latencies.subarray(0, ok),
    /** First send to last answer. */
    makespanMs: (lastAnswerAt || finished) - started,
    elapsedMs: finished - started,
  };
}

/** A problem description when any request failed or got a wrong answer, else undefined. */
export function loadProblem(label, r) {
  if (r.errors === 0 && r.wrong === 0) return undefined;
  return `${label}: ${r.errors} failed and ${r.wrong} wrong of ${r.sent} requests; first: ${r.firstProblem}`;
}

/**
 * @typedef {object} LoadResult
 * @property {number} sent
 * @property {number} ok answered 200 with exactly `echo: <its prompt>`
 * @property {number} errors transport errors and timeouts
 * @property {number} wrong answered, but not with 200 and the right echo
 * @property {string | undefined} firstProblem
 * @property {Float64Array} latencies ms, of the ok requests, in completion order
 * @property {number} makespanMs
 * @property {number} elapsedMs
 */
