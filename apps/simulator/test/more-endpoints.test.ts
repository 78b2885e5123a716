import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { embeddingOf, findViolations, startSimulator, type Simulator } from '../src/index.js';
import { KEY_A, KEY_B, get, parseSse, post } from './helpers.js';

let sim: Simulator;
const MODEL = 'meta-llama/llama-4-maverick:free';

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

/** `event:` + `data:` blocks of a Responses stream, comments left out. */
function responseEvents(text: string): { event: string; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((block) => block !== '' && !block.startsWith(':'))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      expect(eventLine).toMatch(/^event: /);
      expect(dataLine).toMatch(/^data: /);
      return { event: (eventLine ?? '').slice(7), data: JSON.parse((dataLine ?? '').slice(6)) as Record<string, unknown> };
    });
}

describe('responses', () => {
  it('answers a plain request with one completed message, usage in input/output tokens, and the generation id header', async () => {
    const r = await post(sim.url, '/responses', { model: MODEL, input: [{ role: 'user', content: [{ type: 'input_text', text: 'hello there' }] }] });
    expect(r.status).toBe(200);
    const body = r.json as { id: string; object: string; status: string; output: { content: { text: string }[] }[]; usage: Record<string, number> };
    expect(body).toMatchObject({ object: 'response', status: 'completed', model: MODEL });
    expect(body.output[0]?.content[0]?.text).toBe('echo: hello there');
    expect(body.usage).toMatchObject({ input_tokens: 2, output_tokens: 3, total_tokens: 5 });
    expect(r.headers.get('x-generation-id')).toBe(body.id);
  });

  it('streams event/data pairs with rising sequence numbers, deltas that add up, and ends with response.completed', async () => {
    const r = await post(sim.url, '/responses', { model: MODEL, input: 'one two three four five six seven', stream: true });
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    const events = responseEvents(r.text);
    expect(events.every((e) => e.data.type === e.event)).toBe(true);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events[0]?.event).toBe('response.created');
    expect(events.at(-1)?.event).toBe('response.completed');
    const deltas = events.filter((e) => e.event === 'response.output_text.delta').map((e) => e.data.delta);
    expect(deltas.join('')).toBe('echo: one two three four five six seven');
    expect(r.text).not.toContain('[DONE]');
  });

  it('is stateless: store true and previous_response_id get a 400 and count toward no limit', async () => {
    sim.configure({ perMinute: 1 });
    for (const extra of [{ store: true }, { previous_response_id: 'gen-earlier' }]) {
      const r = await post(sim.url, '/responses', { model: MODEL, input: 'hi', ...extra });
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.json)).toMatch(/stateless/);
    }
    expect((await post(sim.url, '/responses', { model: MODEL, input: 'hi', store: false })).status).toBe(200);
    sim.configure({ perMinute: null });
  });
});

describe('embeddings', () => {
  it('answers floats, or base64 float32 when asked, the same vectors either way', async () => {
    const floats = await post(sim.url, '/embeddings', { model: 'openai/text-embedding-3-small', input: ['alpha', 'beta gamma'] });
    expect(floats.status).toBe(200);
    const body = floats.json as { object: string; data: { index: number; embedding: number[] }[]; usage: Record<string, number> };
    expect(body.object).toBe('list');
    expect(body.data.map((d) => d.embedding)).toEqual([embeddingOf('alpha'), embeddingOf('beta gamma')]);
    expect(body.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    const packed = await post(sim.url, '/embeddings', { model: 'm', input: 'alpha', encoding_format: 'base64' });
    const b64 = (packed.json as { data: { embedding: string }[] }).data[0]?.embedding ?? '';
    const buf = Buffer.from(b64, 'base64');
    expect(Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4))).toEqual(embeddingOf('alpha'));
  });

  it('refuses an input that is not text', async () => {
    expect((await post(sim.url, '/embeddings', { model: 'm', input: [1, { a: 1 }] })).status).toBe(400);
  });
});

describe('legacy completions streaming', () => {
  it('streams text chunks that add up, then usage and [DONE]', async () => {
    const r = await post(sim.url, '/completions', { model: MODEL, prompt: 'say this', stream: true });
    const sse = parseSse(r.text);
    expect(sse.done).toBe(true);
    const chunks = sse.events as { object: string; choices: { text: string }[]; usage?: unknown }[];
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe('echo: say this');
    expect(chunks.at(-1)?.usage).toBeDefined();
  });
});

describe('read-only routes', () => {
  it('lists embedding models and a listed model’s endpoints; an unknown model’s endpoints are a 404', async () => {
    const models = await get(sim.url, '/embeddings/models', null);
    expect((models.json as { data: { id: string }[] }).data.map((m) => m.id)).toContain('openai/text-embedding-3-small');
    const endpoints = await get(sim.url, `/models/${MODEL}/endpoints`, null);
    expect(endpoints.status).toBe(200);
    expect((endpoints.json as { data: { id: string; endpoints: unknown[] } }).data).toMatchObject({ id: MODEL });
    expect((await get(sim.url, '/models/nobody/nothing/endpoints', null)).status).toBe(404);
  });

  it('answers GET /generation only to the key that made the generation', async () => {
    const made = await post(sim.url, '/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'a b' }] }, { key: KEY_A });
    const id = (made.json as { id: string }).id;
    const own = await get(sim.url, `/generation?id=${id}`, KEY_A);
    expect(own.status).toBe(200);
    expect((own.json as { data: unknown }).data).toMatchObject({ id, model: MODEL, tokens_prompt: 2 });
    expect((await get(sim.url, `/generation?id=${id}`, KEY_B)).status).toBe(404);
  });

  it('records every endpoint, and counts responses and embeddings in the limit check', async () => {
    await post(sim.url, '/responses', { model: MODEL, input: 'x' });
    await post(sim.url, '/embeddings', { model: MODEL, input: 'x' });
    await get(sim.url, '/embeddings/models', null);
    const paths = sim.records().map((r) => r.path);
    expect(paths).toEqual(['/api/v1/responses', '/api/v1/embeddings', '/api/v1/embeddings/models']);
    // Two free-model requests from one key back to back: a 10 s spacing rule sees them.
    expect(findViolations(sim.records(), { minIntervalMs: 10_000 }).map((v) => v.kind)).toEqual(['spacing']);
  });
});
