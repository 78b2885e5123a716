import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';
import { chat, KEY_A, parseSse, post, waitFor } from './helpers.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

interface ChatChunk {
  id: string;
  object: string;
  model: string;
  provider: string;
  choices: Array<{ index: number; delta: { role: string; content: string }; finish_reason: string | null; native_finish_reason: string | null; logprobs: null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

describe('chat streaming', () => {
  it('streams one chunk per word that concatenate to the exact content', async () => {
    const question = 'one  two three four five six seven eight nine ten';
    const r = await post(sim.url, '/chat/completions', chat(question, { stream: true }));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    expect(r.text.startsWith(': OPENROUTER PROCESSING\n\n')).toBe(true);

    const sse = parseSse(r.text);
    expect(sse.done).toBe(true);
    expect(sse.order.at(-1)).toBe('done');
    // The opening comment plus one between every five chunks.
    expect(sse.comments.length).toBeGreaterThanOrEqual(3);
    expect(sse.order.indexOf('comment', 1)).toBeGreaterThan(0);

    const chunks = sse.events as ChatChunk[];
    const content = chunks.slice(0, -1);
    const usage = chunks.at(-1) as ChatChunk;
    expect(content.length).toBe(11);
    expect(content.map((c) => c.choices[0]?.delta.content).join('')).toBe(`echo: ${question}`);
    for (const [i, c] of content.entries()) {
      expect(c.object).toBe('chat.completion.chunk');
      expect(c.provider).toBe('Simulator');
      expect(c.model).toBe('meta-llama/llama-4-maverick:free');
      expect(c.id).toBe(content[0]?.id);
      const last = i === content.length - 1;
      expect(c.choices[0]).toMatchObject({
        index: 0,
        delta: { role: 'assistant' },
        finish_reason: last ? 'stop' : null,
        native_finish_reason: last ? 'stop' : null,
        logprobs: null,
      });
    }
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({ prompt_tokens: 10, completion_tokens: 11, total_tokens: 21 });

    const rec = sim.records()[0];
    expect(rec).toMatchObject({ stream: true, status: 200, aborted: false });
  });

  it('streams legacy completions as text_completion chunks', async () => {
    const r = await post(sim.url, '/completions', { model: 'm', prompt: 'tell me', stream: true });
    const sse = parseSse(r.text);
    expect(sse.done).toBe(true);
    const chunks = sse.events as Array<{ object: string; choices: Array<{ text: string; index: number; finish_reason: string | null }>; usage?: unknown }>;
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true);
    const content = chunks.slice(0, -1);
    expect(content.map((c) => c.choices[0]?.text).join('')).toBe('echo: tell me');
    expect(content.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(content[0]?.choices[0]?.finish_reason).toBeNull();
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 2, completion_tokens: 3 } });
  });

  it('sends errors as JSON before any stream starts', async () => {
    const r = await post(sim.url, '/chat/completions', chat('x', { stream: true }), { key: null });
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toBe('application/json');
  });

  it('spaces chunks by chunkDelayMs and records a client abort', async () => {
    sim.configure({ chunkDelayMs: 20 });
    try {
      const ac = new AbortController();
      const res = await fetch(`${sim.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
        body: JSON.stringify(chat('a b c d e f g h i j k l m n o p q r s t u v w x y z', { stream: true })),
        signal: ac.signal,
      });
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let seen = '';
      const started = performance.now();
      // Wait for three data events, then hang up mid-stream.
      while ((seen.match(/^data: /gm) ?? []).length < 3) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended early');
        seen += decoder.decode(value, { stream: true });
      }
      expect(performance.now() - started).toBeGreaterThanOrEqual(30);
      ac.abort();
      await reader.cancel().catch(() => undefined);

      const rec = await waitFor(() => sim.records().find((r) => r.aborted));
      expect(rec).toMatchObject({ stream: true, status: 200, aborted: true });
    } finally {
      sim.configure({ chunkDelayMs: 0 });
    }
  });

  it('sends the processing comment before waiting out the latency', async () => {
    const res = await fetch(`${sim.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json', 'x-sim-latency-ms': '150' },
      body: JSON.stringify(chat('slow', { stream: true })),
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const t0 = performance.now();
    const first = await reader.read();
    const firstAfter = performance.now() - t0;
    expect(new TextDecoder().decode(first.value)).toBe(': OPENROUTER PROCESSING\n\n');
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(firstAfter).toBeLessThan(140);
  });
});
