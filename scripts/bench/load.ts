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
} as const;

/** One keep-alive pool per target, reused across phases so measured runs pay no connection set-up. */
export function createClient(origin: string, connections: number): Pool {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
}

export function chatBody(content: string): string {
  return JSON.stringify({ model: 'bench/echo:free', messages: [{ role: 'user', content }] });
}

interface ChatCompletion {
  choices?: { message?: { content?: unknown }; delta?: { content?: unknown } }[];
  error?: { code?: unknown };
}

/** The body of an OpenAI-style answer, typed only as far as the scripts read it; undefined when not JSON. */
export function parseCompletion(text: string): ChatCompletion | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The assistant's text in an OpenAI chat completion, or undefined when the body is not one. */
export function answerOf(text: string): string | undefined {
  const content = parseCompletion(text)?.choices?.[0]?.message?.content;
  return typeof content === 'string' ? content : undefined;
}

/** The text of one streamed chunk (`data: {...}` without the prefix), or undefined. */
export function deltaOf(json: string): string | undefined {
  const content = parseCompletion(json)?.choices?.[0]?.delta?.content;
  return typeof content === 'string' ? content : undefined;
}

export interface LoadSpec {
  client: Pool;
  path: string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Upper bound on requests sent. */
  total: number;
  /** Stop sending new requests after this. */
  maxDurationMs?: number;
  /** Makes every prompt unique: `<tag> #<i>`. */
  tag: string;
  /** Extra headers per request. */
  headersFor?: ((i: number) => Record<string, string>) | undefined;
}

export interface LoadResult {
  sent: number;
  /** Answered 200 with exactly `echo: <its prompt>`. */
  ok: number;
  /** Transport errors and timeouts. */
  errors: number;
  /** Answered, but not with 200 and the right echo. */
  wrong: number;
  firstProblem: string | undefined;
  /** ms, of the ok requests, in completion order. */
  latencies: Float64Array;
  /** First send to last answer. */
  makespanMs: number;
  elapsedMs: number;
}

export async function runLoad({ client, path, concurrency, total, maxDurationMs = 60_000, tag, headersFor }: LoadSpec): Promise<LoadResult> {
  const latencies = new Float64Array(total);
  let ok = 0;
  let sent = 0;
  let errors = 0;
  let wrong = 0;
  let firstProblem: string | undefined;
  let lastAnswerAt = 0;
  const started = performance.now();
  const deadline = started + maxDurationMs;

  const one = async (i: number): Promise<void> => {
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
      const e = err as { code?: unknown; message?: unknown };
      firstProblem ??= `request ${i}: ${typeof e.code === 'string' ? e.code : ''} ${String(e.message)}`;
    }
  };

  const loop = async (): Promise<void> => {
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
    makespanMs: (lastAnswerAt || finished) - started,
    elapsedMs: finished - started,
  };
}

/** A problem description when any request failed or got a wrong answer, else undefined. */
export function loadProblem(label: string, r: LoadResult): string | undefined {
  if (r.errors === 0 && r.wrong === 0) return undefined;
  return `${label}: ${r.errors} failed and ${r.wrong} wrong of ${r.sent} requests; first: ${r.firstProblem}`;
}
