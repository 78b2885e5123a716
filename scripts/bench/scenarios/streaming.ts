/**
 * Scenario 4, streaming: time to first token (from sending a `stream: true` request to the first
 * content chunk) straight to the simulator and through the gateway, one at a time; and how many
 * streamed chunks per second the gateway relays on one long stream.
 */
import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import { CHAT_PATH, createClient, deltaOf } from '../load.js';
import type { Scenario, Target } from '../result.js';
import { ms, int, summarize } from '../stats.js';

export const TARGET_ADDED_TTFT_P50_MS = 5;

function streamBody(content: string): string {
  return JSON.stringify({ model: 'bench/echo:free', stream: true, messages: [{ role: 'user', content }] });
}

/** Sends one stream; returns ms to the first content chunk, the chunk count, the total ms and the text. */
interface StreamResult {
  status: number;
  ttft: number;
  chunks: number;
  totalMs: number;
  text: string;
}

async function oneStream(client: Pool, path: string, headers: Record<string, string>, content: string): Promise<StreamResult> {
  const started = performance.now();
  const res = await client.request({ path, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: streamBody(content) });
  let first: number | undefined;
  let chunks = 0;
  let text = '';
  let buffer = '';
  for await (const part of res.body as AsyncIterable<Buffer>) {
    buffer += part.toString('utf8');
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (!event.startsWith('data: {')) continue;
      const delta = deltaOf(event.slice(6));
      if (delta === undefined) continue;
      first ??= performance.now() - started;
      chunks++;
      text += delta;
    }
  }
  return { status: res.statusCode, ttft: first ?? NaN, chunks, totalMs: performance.now() - started, text };
}

type Via = 'direct' | 'proxied';
const VIAS: readonly Via[] = ['direct', 'proxied'];

export const streaming: Scenario = async (stack, { quick, progress }) => {
  const direct = createClient(stack.sim.origin, 4);
  const proxied = createClient(stack.gateway.url, 4);
  const via: Record<Via, (content: string) => Promise<StreamResult>> = {
    direct: (content) => oneStream(direct, CHAT_PATH.direct, { authorization: `Bearer ${stack.keys[0]}` }, content),
    proxied: (content) => oneStream(proxied, CHAT_PATH.proxied, {}, content),
  };
  const problems: string[] = [];
  const rows: string[][] = [];
  const targets: Target[] = [];
  try {
    const n = quick ? 50 : 300;
    const ttft: Record<Via, number[]> = { direct: [], proxied: [] };
    progress(`streaming: warm-up, then ${n} streams one at a time each way`);
    for (let i = 0; i < 50; i++) for (const v of VIAS) await via[v](`warm ${i}`);
    for (let i = 0; i < n; i++) {
      for (const v of VIAS) {
        const r = await via[v](`first token ${i}`);
        if (r.status !== 200 || r.text !== `echo: first token ${i}`) problems.push(`streaming ${v}: wrong answer to request ${i}`);
        ttft[v].push(r.ttft);
      }
    }
    const d = summarize(ttft.direct);
    const p = summarize(ttft.proxied);
    rows.push(['time to first token', String(n), ms(d.p50), ms(d.p99), ms(p.p50), ms(p.p99), ms(p.p50 - d.p50), ms(p.p99 - d.p99)]);
    targets.push({
      name: 'added time to first token p50',
      value: `${ms(p.p50 - d.p50)} ms`,
      target: `< ${TARGET_ADDED_TTFT_P50_MS} ms`,
      met: p.p50 - d.p50 < TARGET_ADDED_TTFT_P50_MS,
    });

    const words = quick ? 2_000 : 20_000;
    progress(`streaming: one stream of ${int(words)} chunks each way`);
    const long = Array.from({ length: words }, (_, i) => `w${i}`).join(' ');
    for (const v of VIAS) {
      const r = await via[v](long);
      if (r.text !== `echo: ${long}`) problems.push(`streaming ${v}: the long stream arrived incomplete or out of order`);
      rows.push([`chunks/s, one stream (${v})`, int(r.chunks), '', '', '', '', int((r.chunks / r.totalMs) * 1000), '']);
    }
  } finally {
    await Promise.all([direct.close(), proxied.close()]);
  }
  return {
    id: 'streaming',
    title: '4. Streaming (limits off, simulator chunk delay 0, 1 API + 1 worker process)',
    header: ['measure', 'requests / chunks', 'direct p50 ms', 'direct p99 ms', 'proxied p50 ms', 'proxied p99 ms', 'added p50 ms (or chunks/s)', 'added p99 ms'],
    rows,
    notes: ['Every streamed answer was checked to be `echo: <its own prompt>`, complete and in order.'],
    targets,
    problems,
  };
};
