import { afterEach, describe, expect, test } from 'vitest';
import { ownRoot } from '@ork/shared';
import { waitFor } from '../support/client.js';
import { BodyReader, parseSse, streamChat, streamedText } from '../support/sse.js';
import { startStack, type Stack } from '../support/stack.js';
import { expectWithinLimits } from '../support/limits.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const noLimits = { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' };

describe('streaming through the queue', () => {
  test('chat and legacy completions stream every chunk in order, ending with [DONE]', async () => {
    stack = await startStack({ keys: 2, env: noLimits, simulatorEnv: { SIM_CHUNK_DELAY_MS: '5' } });
    const content = 'one two three four five six seven eight nine ten eleven twelve';
    const chat = await streamChat(stack.url, content);
    expect(chat.status).toBe(200);
    expect(chat.contentType).toContain('text/event-stream');
    expect(chat.done).toBe(true);
    expect(streamedText(chat.events)).toBe(`echo: ${content}`);
    // Comment lines from upstream are relayed too (clients ignore them).
    expect(chat.raw).toContain(': OPENROUTER PROCESSING');
    // The usage chunk comes last, after the content.
    expect(chat.events.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 13 } });

    const legacy = await streamChat(stack.url, 'say it', '/v1/completions');
    expect(legacy.done).toBe(true);
    expect(streamedText(legacy.events)).toBe('echo: say it');

    const upstream = (await stack.sim.records()).filter((r) => r.path.endsWith('completions'));
    expect(upstream.map((r) => r.stream)).toEqual([true, true]);
    // Tokens of streamed answers are counted from their usage chunk.
    const status = (await (await fetch(`${stack.url}/api/status`)).json()) as { pool: { completionTokensToday: number } };
    expect(status.pool.completionTokensToday).toBe(13 + 3);
  });

  test('a streaming burst over several keys: every stream complete and its own, no limit broken', async () => {
    stack = await startStack({ keys: 3, env: { ...noLimits, KEY_MIN_INTERVAL_MS: '60' }, simulatorEnv: { SIM_CHUNK_DELAY_MS: '2' } });
    const n = 30;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => streamChat(stack!.url, `stream number ${i} here`)));
    results.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.done).toBe(true);
      expect(streamedText(r.events)).toBe(`echo: stream number ${i} here`);
    });
    const records = (await stack.sim.records()).filter((r) => r.path.endsWith('completions'));
    expect(records).toHaveLength(n);
    expectWithinLimits(records, { minIntervalMs: 60 }, stack.keys);
  });

  test('a queued stream hears its position in comment lines before the answer starts', async () => {
    stack = await startStack({ keys: 1, env: { ...noLimits, KEY_MIN_INTERVAL_MS: '1500' } });
    const first = streamChat(stack.url, 'first');
    const s = stack;
    await waitFor(async () => (await s.sim.records()).length === 1, 'the first stream upstream');
    const second = await streamChat(stack.url, 'second');
    expect(second.raw).toMatch(/^: queued position=1 estimated_wait_ms=\d+\n\n/);
    expect(second.raw.indexOf(': queued')).toBeLessThan(second.raw.indexOf('data: '));
    expect(streamedText(second.events)).toBe('echo: second');
    expect(streamedText((await first).events)).toBe('echo: first');
  });

  test('an upstream error before the first byte is a plain JSON error with its status', async () => {
    stack = await startStack({ keys: 1, env: noLimits });
    await stack.sim.configure({ faults: [{ status: 400, body: { error: { message: 'max_tokens is too large', code: 400 } } }] });
    const res = await streamChat(stack.url, 'bad params');
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/json');
    expect(JSON.parse(res.raw)).toEqual({ error: { message: 'max_tokens is too large', code: 400 } });
  });

  test('an upstream error after the stream began arrives as an error chunk, then the stream ends', async () => {
    stack = await startStack({ keys: 1, env: noLimits });
    const chunk = { id: 'gen-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'partial' }, finish_reason: null }] };
    const error = { error: { message: 'Provider disconnected', code: 502 }, choices: [{ index: 0, delta: {}, finish_reason: 'error' }] };
    await stack.sim.configure({
      faults: [
        {
          status: 200,
          headers: { 'content-type': 'text/event-stream' },
          body: `: OPENROUTER PROCESSING\n\ndata: ${JSON.stringify(chunk)}\n\ndata: ${JSON.stringify(error)}\n\n`,
        },
      ],
    });
    const res = await streamChat(stack.url, 'will break');
    expect(res.status).toBe(200);
    expect(res.events).toEqual([chunk, error]);
    expect(res.done).toBe(false);
  });
});

describe('a client that hangs up mid-stream', () => {
  test('aborts the upstream request and leaves nothing behind', async () => {
    stack = await startStack({ keys: 1, env: noLimits, simulatorEnv: { SIM_CHUNK_DELAY_MS: '100' } });
    const s = stack;
    const controller = new AbortController();
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/echo:free', stream: true, messages: [{ role: 'user', content: 'word '.repeat(200) }] }),
      signal: controller.signal,
    });
    const text = await new BodyReader(res.body).until((t) => t.includes('data: '), 'the first event');
    controller.abort();
    expect(parseSse(text.slice(0, text.lastIndexOf('\n\n') + 2)).events.length).toBeGreaterThan(0);

    // Upstream saw its connection closed long before the 200 words were streamed.
    await waitFor(async () => (await s.sim.records()).find((r) => r.path.endsWith('completions'))?.aborted, 'the upstream request to be aborted');
    const status = async () =>
      ((await (await fetch(`${s.url}/api/status`)).json()) as { keys: { queue: { active: number; waiting: number } }[] }).keys[0]!.queue;
    await waitFor(async () => (await status()).active === 0, 'the job to finish');
    expect((await status()).waiting).toBe(0);
    // Nothing left unread in this API's reply stream (at most the last entry, kept as a cursor).
    const streams = await s.redis.keys(`${ownRoot(s.prefix)}:replies:*`);
    for (const key of streams) await waitFor(async () => (await s.redis.xlen(key)) <= 1, 'the reply stream to be drained');
  });
});
