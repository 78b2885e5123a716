import OpenAI, { APIError, AuthenticationError, BadRequestError, NotFoundError, RateLimitError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startKeyedStack, type KeyedStack } from '../support/keyed-stack.js';
import { startStack, type Stack } from '../support/stack.js';
import { MODEL, noLimits, rejection } from '../support/fixtures.js';

/** maxRetries 0: a test must see the error the gateway sent, not the SDK's retries of it. */
function sdk(baseURL: string, options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}): OpenAI {
  return new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0, ...options });
}

const sse = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;
const deltaChunk = (content: string): object => ({
  id: 'gen-mid',
  object: 'chat.completion.chunk',
  created: 1,
  model: MODEL,
  choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: null }],
});

describe('the openai npm package against the gateway', () => {
  let stack: Stack;
  let openai: OpenAI;
  beforeAll(async () => {
    stack = await startStack({ keys: 2, env: noLimits });
    openai = sdk(`${stack.url}/v1`);
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(async () => {
    await stack.sim.reset();
    await stack.sim.configure({ chunkDelayMs: null });
  });

  test('chat.completions.create answers, and upstream received the request unchanged', async () => {
    const messages = [{ role: 'user' as const, content: 'hello from the sdk' }];
    const completion = await openai.chat.completions.create({ model: MODEL, messages, temperature: 0.2 });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toBe('echo: hello from the sdk');
    expect(completion.usage?.completion_tokens).toBe(5);
    const upstream = await stack.sim.records();
    expect(upstream).toHaveLength(1);
    expect(upstream[0]).toMatchObject({ path: '/api/v1/chat/completions', stream: false, body: { model: MODEL, messages, temperature: 0.2 } });
    expect(stack.keys).toContain(upstream[0]?.key);
  });

  test('chat streaming: deltas arrive one by one, in order, complete, and the iteration ends', async () => {
    await stack.sim.configure({ chunkDelayMs: 25 });
    const content = 'one two three four five six seven';
    const stream = await openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: 'user', content }] });
    const deltas: string[] = [];
    const arrivals: number[] = [];
    const finishes: (string | null | undefined)[] = [];
    let usageChunks = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice === undefined) {
        // OpenRouter's last chunk: no choices, only usage.
        if (chunk.usage) usageChunks++;
        continue;
      }
      deltas.push(choice.delta.content ?? '');
      arrivals.push(performance.now());
      finishes.push(choice.finish_reason);
    }
    expect(deltas).toEqual(['echo:', ' one', ' two', ' three', ' four', ' five', ' six', ' seven']);
    expect(deltas.join('')).toBe(`echo: ${content}`);
    expect(finishes.at(-1)).toBe('stop');
    expect(finishes.slice(0, -1).every((f) => f === null)).toBe(true);
    expect(usageChunks).toBe(1);
    // Relayed as they came: 7 upstream gaps of 25 ms between the first and the last delta.
    expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThan(100);
    expect((await stack.sim.records()).map((r) => r.stream)).toEqual([true]);
  });

  test('legacy completions.create, plain and streaming', async () => {
    const plain = await openai.completions.create({ model: MODEL, prompt: 'say this is a test' });
    expect(plain.choices[0]?.text).toBe('echo: say this is a test');

    const stream = await openai.completions.create({ model: MODEL, prompt: 'stream this prompt', stream: true });
    const pieces: string[] = [];
    for await (const chunk of stream) pieces.push(chunk.choices[0]?.text ?? '');
    expect(pieces.join('')).toBe('echo: stream this prompt');
    const upstream = await stack.sim.records();
    expect(upstream.map((r) => [r.path, r.stream])).toEqual([
      ['/api/v1/completions', false],
      ['/api/v1/completions', true],
    ]);
  });

  test('models.list iterates the catalog; models.retrieve takes an id with a slash', async () => {
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toContain(MODEL);
    expect(ids.length).toBeGreaterThan(1);

    const model = await openai.models.retrieve(MODEL);
    expect(model).toMatchObject({ id: MODEL, object: 'model', owned_by: 'meta-llama' });
    expect(await rejection(openai.models.retrieve('no-such/model:free'))).toBeInstanceOf(NotFoundError);
    // The list never spends a key: whatever reached upstream carried no key and no completion.
    for (const r of await stack.sim.records()) expect(r).toMatchObject({ path: '/api/v1/models', key: null });
  });

  test('a bad body is a BadRequestError carrying the param, and never reaches upstream', async () => {
    const err = await rejection(openai.chat.completions.create({ model: MODEL, messages: [] }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'messages' });
    expect(await stack.sim.records()).toEqual([]);
  });

  test('a stream refused upstream before its first byte is a BadRequestError with status 400', async () => {
    await stack.sim.configure({ faults: [{ status: 400, times: 1 }] });
    const err = await rejection(
      openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'refused' }] }),
    );
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ status: 400, message: '400 Bad Request' });
  });

  // Queue comments stop once the job runs upstream, so a slow upstream error keeps its status.
  test('a stream that upstream refuses slowly (400 after 1.2 s) is still a BadRequestError', async () => {
    await stack.sim.configure({ faults: [{ status: 400, times: 1, delayMs: 1_200 }] });
    const outcome = await openai.chat.completions
      .create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'slow refusal' }] })
      .then(async (stream) => {
        // Today: a 200 whose iteration throws an APIError without status. Read it all, then fail.
        for await (const _chunk of stream) void _chunk;
        return 'no error at all';
      })
      .catch((err: unknown) => err);
    expect(outcome).toBeInstanceOf(BadRequestError);
  });

  test("upstream's error chunk mid-stream makes the SDK iteration throw after the deltas before it", async () => {
    const body =
      ': OPENROUTER PROCESSING\n\n' +
      sse(deltaChunk('echo:')) +
      sse(deltaChunk(' partial')) +
      sse({
        ...deltaChunk(''),
        error: { code: 502, message: 'Provider disconnected unexpectedly' },
        choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
      });
    await stack.sim.configure({ faults: [{ status: 200, body, headers: { 'content-type': 'text/event-stream' } }] });
    const stream = await openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'x' }] });
    const deltas: string[] = [];
    const err = await rejection(
      (async () => {
        for await (const chunk of stream) deltas.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    );
    expect(deltas).toEqual(['echo:', ' partial']);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).message).toContain('Provider disconnected unexpectedly');
  });

  test("a stream cut off upstream ends with the gateway's own error chunk, which the SDK throws", async () => {
    // Promises more bytes than it sends, then closes: the worker sees the body break mid-stream.
    const body = sse(deltaChunk('echo:')) + sse(deltaChunk(' cut'));
    const headers = { 'content-type': 'text/event-stream', 'content-length': '100000', connection: 'close' };
    await stack.sim.configure({ faults: [{ status: 200, body, headers }] });
    const stream = await openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'x' }] });
    const deltas: string[] = [];
    const err = await rejection(
      (async () => {
        for await (const chunk of stream) deltas.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    );
    expect(deltas).toEqual(['echo:', ' cut']);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).error).toMatchObject({ code: 502 });
  });
});

describe('client keys through the SDK', () => {
  let keyed: KeyedStack;
  beforeAll(async () => {
    keyed = await startKeyedStack({ keys: 1, env: noLimits });
  });
  afterAll(async () => {
    await keyed?.stack.close();
  });

  const ask = async (client: OpenAI, content: string): Promise<string | null | undefined> =>
    (await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }] })).choices[0]?.message.content;

  test('as apiKey (Authorization: Bearer), for chat, streaming and models', async () => {
    const { stack, key } = keyed;
    const client = sdk(`${stack.url}/v1`, { apiKey: key });
    expect(await ask(client, 'via bearer')).toBe('echo: via bearer');
    let text = '';
    for await (const c of await client.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'streamed' }] })) {
      text += c.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('echo: streamed');
    expect((await client.models.retrieve(MODEL)).id).toBe(MODEL);
  });

  test('as defaultHeaders X-API-Key, next to a placeholder apiKey', async () => {
    const { stack, key } = keyed;
    const client = sdk(`${stack.url}/v1`, { apiKey: 'unused', defaultHeaders: { 'X-API-Key': key } });
    expect(await ask(client, 'via header')).toBe('echo: via header');
  });

  test('as ?api_key=: the SDK mangles a query in baseURL, defaultQuery works', async () => {
    const { stack, key } = keyed;
    const sent: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      sent.push(input instanceof Request ? input.url : String(input));
      return fetch(input, init);
    };
    // openai-node appends the path to the whole baseURL string, query included.
    const inBase = sdk(`${stack.url}/v1?api_key=${key}`, { fetch: recordingFetch });
    expect(await rejection(ask(inBase, 'lost'))).toBeInstanceOf(APIError);
    const mangled = new URL(sent[0] ?? '');
    expect(mangled.pathname).toBe('/v1');
    expect(mangled.searchParams.get('api_key')).toBe(`${key}/chat/completions`);

    const client = sdk(`${stack.url}/v1`, { defaultQuery: { api_key: key }, fetch: recordingFetch });
    expect(await ask(client, 'via query')).toBe('echo: via query');
    expect(new URL(sent[1] ?? '')).toMatchObject({ pathname: '/v1/chat/completions', search: `?api_key=${key}` });
  });

  test('a wrong or missing key is an AuthenticationError and reaches nothing upstream', async () => {
    const { stack } = keyed;
    const before = (await stack.sim.records()).length;
    const wrong = sdk(`${stack.url}/v1`, { apiKey: `sk-ork-${'x'.repeat(43)}` });
    const err = await rejection(ask(wrong, 'nope'));
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ status: 401, type: 'authentication_error' });
    expect(await rejection(sdk(`${stack.url}/v1`).models.list())).toBeInstanceOf(AuthenticationError);
    expect(await rejection(wrong.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'x' }] }))).toBeInstanceOf(
      AuthenticationError,
    );
    expect((await stack.sim.records()).length).toBe(before);
  });
});

describe('rate limits through the SDK', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ keys: 1, env: { ...noLimits, KEY_REQUESTS_PER_DAY: '1' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('a spent day is a RateLimitError whose retry headers point at 00:00 UTC', async () => {
    const openai = sdk(`${stack.url}/v1`);
    const first = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'the only one' }] });
    expect(first.choices[0]?.message.content).toBe('echo: the only one');

    for (const stream of [false, true]) {
      const err = await rejection(openai.chat.completions.create({ model: MODEL, stream, messages: [{ role: 'user', content: 'one too many' }] }));
      expect(err).toBeInstanceOf(RateLimitError);
      const headers = (err as RateLimitError).headers;
      const ms = Number(headers.get('retry-after-ms'));
      const midnight = new Date().setUTCHours(24, 0, 0, 0) - Date.now();
      expect(ms).toBeGreaterThan(0);
      expect(Math.abs(ms - midnight)).toBeLessThan(5_000);
      expect(Number(headers.get('retry-after'))).toBe(Math.ceil(ms / 1000));
    }
    expect(await stack.sim.records()).toHaveLength(1);
  });
});
