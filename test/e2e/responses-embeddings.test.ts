import OpenAI, { APIError, BadRequestError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { RedisKeys } from '@ork/shared';
import { embeddingOf } from '@ork/simulator';
import { readStatus } from '../support/status.js';
import { expectWithinLimits } from '../support/limits.js';
import { startStack, type Stack } from '../support/stack.js';
import { MODEL, EMBEDDING_MODEL, noLimits, rejection } from '../support/fixtures.js';

async function postJson(url: string, body: unknown): Promise<{ status: number; json: { error?: { message: string; param: string | null; code: string } } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as { error?: { message: string; param: string | null; code: string } } };
}

describe('Responses API and embeddings through the gateway', () => {
  let stack: Stack;
  let openai: OpenAI;
  beforeAll(async () => {
    stack = await startStack({ keys: 2, env: noLimits });
    openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(async () => {
    await stack.sim.reset();
    await stack.sim.configure({ chunkDelayMs: null, faults: [] });
  });

  test('responses.create answers with the exact text and usage; upstream got the body unchanged', async () => {
    const response = await openai.responses.create({ model: MODEL, input: 'hello responses', instructions: 'be brief' });
    expect(response.output_text).toBe('echo: hello responses');
    expect(response.usage).toMatchObject({ input_tokens: 4, output_tokens: 3 });
    const upstream = await stack.sim.records();
    expect(upstream).toHaveLength(1);
    expect(upstream[0]).toMatchObject({ path: '/api/v1/responses', body: { model: MODEL, input: 'hello responses', instructions: 'be brief' } });
  });

  test('responses.create with stream: true yields the events in order, deltas adding up to the answer', async () => {
    await stack.sim.configure({ chunkDelayMs: 10 });
    const stream = await openai.responses.create({ model: MODEL, input: 'one two three four five six', stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(text).toBe('echo: one two three four five six');
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
  });

  test('store: true and previous_response_id are a 400 before queueing: nothing upstream, no quota spent', async () => {
    const before = await readStatus(stack.url);
    const stored = await rejection(openai.responses.create({ model: MODEL, input: 'keep this', store: true }));
    expect(stored).toBeInstanceOf(BadRequestError);
    expect(stored).toMatchObject({ status: 400, param: 'store', code: 'unsupported_parameter' });
    expect((stored as Error).message).toMatch(/stateless/);
    const continued = await rejection(openai.responses.create({ model: MODEL, input: 'and then', previous_response_id: 'gen-1' }));
    expect(continued).toMatchObject({ status: 400, param: 'previous_response_id' });
    const streamed = await postJson(`${stack.url}/v1/responses`, { model: MODEL, input: 'x', store: true, stream: true });
    expect(streamed.status).toBe(400);

    expect(await stack.sim.records()).toEqual([]);
    const after = await readStatus(stack.url);
    expect(after.pool.startedToday).toBe(before.pool.startedToday);
    expect(after.keys.map((k) => k.today)).toEqual(before.keys.map((k) => k.today));
  });

  test('bad Responses and embeddings bodies are 400s naming the parameter', async () => {
    const cases: [string, unknown, string][] = [
      ['responses', { model: MODEL }, 'input'],
      ['responses', { model: MODEL, input: [] }, 'input'],
      ['responses', { input: 'x' }, 'model'],
      ['embeddings', { model: EMBEDDING_MODEL }, 'input'],
      ['embeddings', { model: EMBEDDING_MODEL, input: 'x', stream: true }, 'stream'],
      ['embeddings', { model: EMBEDDING_MODEL, input: Array(2049).fill('x') }, 'input'],
    ];
    for (const [path, body, param] of cases) {
      const r = await postJson(`${stack.url}/v1/${path}`, body);
      expect(r.status, `${path} ${JSON.stringify(body).slice(0, 60)}`).toBe(400);
      expect(r.json.error?.param).toBe(param);
    }
    expect(await stack.sim.records()).toEqual([]);
  });

  test('embeddings.create returns the exact vectors (the SDK asks for base64 and decodes it)', async () => {
    const result = await openai.embeddings.create({ model: EMBEDDING_MODEL, input: ['first text', 'second'] });
    expect(result.data.map((d) => d.embedding)).toEqual([embeddingOf('first text'), embeddingOf('second')]);
    expect(result.usage).toMatchObject({ prompt_tokens: 3 });
    const upstream = await stack.sim.records();
    expect(upstream).toHaveLength(1);
    expect(upstream[0]).toMatchObject({ path: '/api/v1/embeddings', body: { model: EMBEDDING_MODEL, input: ['first text', 'second'] } });
  });

  test('a Responses stream cut off upstream ends with an error event in the Responses format, which the SDK throws', async () => {
    // Promises more bytes than it sends, then closes: the worker sees the body break mid-stream.
    const ev = (type: string, seq: number, fields: object): string => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq, ...fields })}\n\n`;
    const body =
      ev('response.created', 0, { response: { id: 'gen-cut', object: 'response', created_at: 1, model: MODEL, status: 'in_progress', output: [] } }) +
      ev('response.output_text.delta', 1, { item_id: 'msg-1', output_index: 0, content_index: 0, delta: 'echo: cut' });
    const headers = { 'content-type': 'text/event-stream', 'content-length': '100000', connection: 'close' };
    await stack.sim.configure({ faults: [{ status: 200, body, headers }] });
    const stream = await openai.responses.create({ model: MODEL, input: 'doomed', stream: true });
    const deltas: string[] = [];
    const err = await rejection(
      (async () => {
        for await (const event of stream) if (event.type === 'response.output_text.delta') deltas.push(event.delta);
      })(),
    );
    expect(deltas).toEqual(['echo: cut']);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).error).toMatchObject({ type: 'server_error', code: '502' });
    expect((err as APIError).message).toMatch(/Could not reach OpenRouter|terminated|closed/);
  });

  test('the same pipeline as chat: an Idempotency-Key replays a Responses answer without a second upstream call', async () => {
    const idempotent = { headers: { 'Idempotency-Key': 'responses-once' } };
    const first = await openai.responses.create({ model: MODEL, input: 'only once' }, idempotent);
    const again = await openai.responses.create({ model: MODEL, input: 'only once' }, idempotent);
    expect(again.id).toBe(first.id);
    expect(again.output_text).toBe('echo: only once');
    expect((await stack.sim.records()).filter((r) => r.path === '/api/v1/responses')).toHaveLength(1);

  });

  test('GET embeddings/models and a model’s endpoints come from OpenRouter once, then from the cache', async () => {
    for (let i = 0; i < 2; i++) {
      const list = (await (await fetch(`${stack.url}/v1/embeddings/models`)).json()) as { object: string; data: { id: string; object: string }[] };
      expect(list.object).toBe('list');
      expect(list.data.map((m) => m.id)).toContain(EMBEDDING_MODEL);
      const endpoints = await fetch(`${stack.url}/api/v1/models/${MODEL}/endpoints`);
      expect(endpoints.status).toBe(200);
      expect(((await endpoints.json()) as { data: { id: string } }).data.id).toBe(MODEL);
    }
    const unknown = await fetch(`${stack.url}/v1/models/nobody/nothing/endpoints`);
    expect(unknown.status).toBe(404);
    const paths = (await stack.sim.records()).map((r) => r.path);
    expect(paths.filter((p) => p === '/api/v1/embeddings/models')).toHaveLength(1);
    expect(paths.filter((p) => p.endsWith(':free/endpoints'))).toHaveLength(1);
    expect(paths.every((p) => !p.endsWith('/completions'))).toBe(true);
  });

  test('GET generation?id= is asked with the key that made the generation; unknown ids are a 404', async () => {
    const completion = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'cost me' }] });
    const res = await fetch(`${stack.url}/v1/generation?id=${completion.id}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown }).data).toMatchObject({ id: completion.id, model: MODEL });
    const records = await stack.sim.records();
    const lookup = records.find((r) => r.path === '/api/v1/generation');
    expect(lookup?.key).toBe(records[0]?.key);
    expect(lookup?.status).toBe(200);

    const missing = await fetch(`${stack.url}/v1/generation?id=gen-never`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('generation_not_found');
    expect((await fetch(`${stack.url}/v1/generation`)).status).toBe(400);
    // The map holds key ids only.
    const owner = await stack.redis.get(new RedisKeys(stack.prefix).generation(completion.id));
    expect(owner).toMatch(/^[0-9a-f]{12}$/);
    expect(stack.keys).not.toContain(owner);
  });

  test('other routes under the prefixes are a 404 naming the route', async () => {
    for (const path of ['/v1/credits', '/api/v1/messages', '/v1/responses/resp-1', '/audio/speech']) {
      const res = await fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(`Unknown route: POST ${path}`);
    }
  });
});

describe('a burst of Responses and embeddings requests under a spacing limit', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ keys: 3, env: { KEY_MIN_INTERVAL_MS: '100', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('every request gets its own answer and the fake records 0 violations', async () => {
    const openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const n = 30;
    const results = await Promise.all(
      Array.from({ length: n }, async (_, i) =>
        i % 2 === 0
          ? (await openai.responses.create({ model: MODEL, input: `burst ${i}` })).output_text
          : (await openai.embeddings.create({ model: EMBEDDING_MODEL, input: `burst ${i}`, encoding_format: 'float' })).data[0]?.embedding,
      ),
    );
    results.forEach((r, i) => expect(r).toEqual(i % 2 === 0 ? `echo: burst ${i}` : embeddingOf(`burst ${i}`)));
    const records = (await stack.sim.records()).filter((r) => r.path.endsWith('/responses') || r.path.endsWith('/embeddings'));
    expect(records).toHaveLength(n);
    expect(new Set(records.map((r) => r.key)).size).toBe(3);
    expectWithinLimits(records, { minIntervalMs: 100 }, stack.keys);
  });
});

describe('a streamed Responses request waiting in its queue', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '1500', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('gets keep-alive comments while it waits, which the SDK ignores, then its events', async () => {
    const openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const first = openai.responses.create({ model: MODEL, input: 'first in line' });
    await expect.poll(async () => (await stack.sim.records()).length, { timeout: 10_000 }).toBe(1);
    const raw = fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, input: 'second in line', stream: true }),
    }).then((r) => r.text());
    const viaSdk = (async () => {
      let text = '';
      const stream = await openai.responses.create({ model: MODEL, input: 'third in line', stream: true });
      for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
      return text;
    })();
    expect((await first).output_text).toBe('echo: first in line');
    const text = await raw;
    expect(text).toMatch(/^: queued position=\d+ estimated_wait_ms=\d+\n\n/);
    expect(text).toContain('event: response.completed');
    expect(await viaSdk).toBe('echo: third in line');
    const records = await stack.sim.records();
    expect(records).toHaveLength(3);
    expectWithinLimits(records, { minIntervalMs: 1500 }, stack.keys);
  });

  test('a client that hangs up while its Responses request waits in the queue spends nothing', async () => {
    await stack.sim.reset();
    const openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    // Keep the key's next slot 1.5 s away, then queue a request behind it and give up.
    await openai.embeddings.create({ model: EMBEDDING_MODEL, input: 'takes the slot', encoding_format: 'float' });
    const before = await readStatus(stack.url);
    const controller = new AbortController();
    const gaveUp = rejection(openai.responses.create({ model: MODEL, input: 'never mind' }, { signal: controller.signal }));
    await expect.poll(async () => (await readStatus(stack.url)).keys[0]?.queue.waiting ?? 0, { timeout: 10_000 }).toBe(1);
    controller.abort();
    await gaveUp;
    // Until the cancelled job is gone everywhere: closing the stack before that hung its close() here (chat too).
    await expect
      .poll(async () => {
        const k = (await readStatus(stack.url)).keys[0];
        return k === undefined ? 'no key' : { waiting: k.queue.waiting, active: k.queue.active, delayed: k.queue.delayed, reserved: k.reserved };
      }, { timeout: 10_000 })
      .toEqual({ waiting: 0, active: 0, delayed: 0, reserved: 0 });
    const after = await readStatus(stack.url);
    expect(after.keys[0]?.today.started).toBe(before.keys[0]?.today.started);
    expect((await stack.sim.records()).map((r) => r.path)).toEqual(['/api/v1/embeddings']);
  });
});
