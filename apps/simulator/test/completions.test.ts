import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';
import { chat, get, KEY_A, KEY_B, post } from './helpers.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ noCreditKeys: [KEY_B] });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

describe('chat completions', () => {
  it('answers with an OpenRouter-shaped body echoing the last user message', async () => {
    const body = {
      model: 'deepseek/deepseek-chat-v3-0324:free',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'what is two plus two' },
      ],
    };
    const r = await post(sim.url, '/chat/completions', body);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    const j = r.json as Record<string, unknown>;
    expect(j).toMatchObject({
      provider: 'Simulator',
      model: 'deepseek/deepseek-chat-v3-0324:free',
      object: 'chat.completion',
      choices: [
        {
          logprobs: null,
          finish_reason: 'stop',
          native_finish_reason: 'stop',
          index: 0,
          message: { role: 'assistant', content: 'echo: what is two plus two', refusal: null, reasoning: null },
        },
      ],
      // 2 + 2 + 2 + 5 words in all messages; "echo: what is two plus two" has 6.
      usage: { prompt_tokens: 11, completion_tokens: 6, total_tokens: 17 },
    });
    expect(j.id).toMatch(/^gen-/);
    expect(j).not.toHaveProperty('object', 'list');
    expect(Math.abs((j.created as number) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('reads array content parts and gives each request its own answer', async () => {
    const parts = [
      { type: 'text', text: 'alpha beta' },
      { type: 'image_url', image_url: { url: 'http://x/y.png' } },
      { type: 'text', text: 'gamma' },
    ];
    const [a, b] = await Promise.all([
      post(sim.url, '/chat/completions', chat(parts)),
      post(sim.url, '/chat/completions', chat('client two')),
    ]);
    const content = (r: typeof a): unknown =>
      (r.json as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content;
    expect(content(a)).toBe('echo: alpha beta\ngamma');
    expect(content(b)).toBe('echo: client two');
    expect((a.json as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBe(3);
  });

  it('counts at least one prompt token', async () => {
    const r = await post(sim.url, '/chat/completions', chat(''));
    expect(r.json).toMatchObject({ usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
  });
});

describe('legacy completions', () => {
  it('echoes the prompt as choices[].text', async () => {
    const r = await post(sim.url, '/completions', { model: 'openai/gpt-4o', prompt: 'once upon a time' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      provider: 'Simulator',
      model: 'openai/gpt-4o',
      object: 'text_completion',
      choices: [{ text: 'echo: once upon a time', index: 0, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 },
    });
  });
});

describe('errors', () => {
  const cases: Array<[string, () => ReturnType<typeof post>, number, string]> = [
    ['missing key', () => post(sim.url, '/chat/completions', chat('hi'), { key: null }), 401, 'No auth credentials found'],
    ['unknown key', () => post(sim.url, '/chat/completions', chat('hi'), { key: 'nope' }), 401, 'User not found.'],
    [
      'no credits',
      () => post(sim.url, '/chat/completions', chat('hi'), { key: KEY_B }),
      402,
      'Insufficient credits. Add more using https://openrouter.ai/credits',
    ],
    ['invalid JSON', () => post(sim.url, '/chat/completions', '{"model":'), 400, 'Invalid JSON in request body'],
    ['missing model', () => post(sim.url, '/chat/completions', { messages: [{ role: 'user', content: 'x' }] }), 400, 'No model provided'],
    [
      'missing messages',
      () => post(sim.url, '/chat/completions', { model: 'm' }),
      400,
      'Input required: specify "prompt" or "messages"',
    ],
    ['missing prompt', () => post(sim.url, '/completions', { model: 'm' }), 400, 'Input required: specify "prompt" or "messages"'],
  ];

  it.each(cases)('%s', async (_name, send, status, message) => {
    const r = await send();
    expect(r.status).toBe(status);
    expect(r.json).toEqual({ error: { message, code: status } });
  });

  it('checks auth before the body', async () => {
    const r = await post(sim.url, '/chat/completions', 'not json', { key: null });
    expect(r.status).toBe(401);
  });
});

describe('models and key', () => {
  it('lists models without a key', async () => {
    const r = await get(sim.url, '/models', null);
    expect(r.status).toBe(200);
    const j = r.json as { data: Array<Record<string, unknown>> };
    expect(Object.keys(j)).toEqual(['data']);
    expect(j.data.length).toBeGreaterThanOrEqual(5);
    const ids = j.data.map((m) => m.id);
    expect(ids).toContain('meta-llama/llama-4-maverick:free');
    expect(ids).toContain('deepseek/deepseek-chat-v3-0324:free');
    expect(ids).toContain('openai/gpt-4o');
    for (const m of j.data) {
      const model = m as {
        canonical_slug: unknown;
        name: unknown;
        created: unknown;
        context_length: unknown;
        architecture: { modality: unknown; input_modalities: unknown; output_modalities: unknown; tokenizer: unknown };
        pricing: { prompt: unknown; completion: unknown };
        top_provider: { context_length: unknown; is_moderated: unknown };
        supported_parameters: unknown;
      };
      expect(typeof model.canonical_slug).toBe('string');
      expect(typeof model.name).toBe('string');
      expect(typeof model.created).toBe('number');
      expect(typeof model.context_length).toBe('number');
      expect(typeof model.architecture.modality).toBe('string');
      expect(typeof model.architecture.tokenizer).toBe('string');
      expect(Array.isArray(model.architecture.input_modalities)).toBe(true);
      expect(model.architecture.output_modalities).toEqual(['text']);
      expect(typeof model.pricing.prompt).toBe('string');
      expect(typeof model.pricing.completion).toBe('string');
      expect(typeof model.top_provider.context_length).toBe('number');
      expect(typeof model.top_provider.is_moderated).toBe('boolean');
      expect(Array.isArray(model.supported_parameters)).toBe(true);
    }
    expect(j.data.find((m) => m.id === 'openai/gpt-4o')?.pricing).not.toMatchObject({ prompt: '0' });
  });

  it.each(['/key', '/auth/key'])('describes the key at %s', async (path) => {
    const r = await get(sim.url, path);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      data: { limit: null, limit_remaining: null, usage: 0, usage_daily: 0, is_free_tier: true, rate_limit: { requests: -1, interval: '10s' }, creator_user_id: expect.stringMatching(/^user_/) as string },
    });
    expect(typeof (r.json as { data: { label: unknown } }).data.label).toBe('string');
    expect((await get(sim.url, path, null)).status).toBe(401);
  });

  it('answers 404 for unknown paths', async () => {
    expect((await get(sim.url, '/nope')).status).toBe(404);
  });
});

describe('records', () => {
  it('records every request, rejected ones included', async () => {
    await post(sim.url, '/chat/completions', chat('hello world'), {
      headers: { 'http-referer': 'https://example.test', 'x-title': 'Gateway Test' },
    });
    await post(sim.url, '/chat/completions', chat('x'), { key: 'sk-or-v1-unknown-but-valid-prefix' });
    await post(sim.url, '/chat/completions', chat('x'), { key: 'wrong' });
    await post(sim.url, '/chat/completions', chat('x'), { key: null });
    await get(sim.url, '/models', null);

    const recs = sim.records();
    expect(recs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(recs.map((r) => r.status)).toEqual([200, 200, 401, 401, 200]);
    expect(recs.map((r) => r.key)).toEqual([KEY_A, 'sk-or-v1-unknown-but-valid-prefix', 'wrong', null, null]);
    expect(recs.map((r) => r.account)).toEqual([KEY_A, 'sk-or-v1-unknown-but-valid-prefix', null, null, null]);
    const first = recs[0];
    expect(first).toMatchObject({
      method: 'POST',
      path: '/api/v1/chat/completions',
      body: chat('hello world'),
      headers: { 'http-referer': 'https://example.test', 'x-title': 'Gateway Test' },
      stream: false,
      aborted: false,
      limited: false,
    });
    expect(first?.headers['user-agent']).toEqual(expect.any(String));
    expect(recs[4]).toMatchObject({ method: 'GET', path: '/api/v1/models', body: null });
    for (let i = 1; i < recs.length; i++) {
      expect((recs[i]?.hrMs ?? 0) >= (recs[i - 1]?.hrMs ?? 0)).toBe(true);
    }
    expect(Math.abs((first?.hrMs ?? 0) - (first?.receivedAtMs ?? 0))).toBeLessThan(50);
  });

  it('honours validKeys and accounts set at run time', async () => {
    sim.configure({ validKeys: [KEY_A], accounts: { [KEY_A]: 'acct-1' } });
    try {
      expect((await post(sim.url, '/chat/completions', chat('x'), { key: KEY_A })).status).toBe(200);
      expect((await post(sim.url, '/chat/completions', chat('x'), { key: 'sk-or-v1-other' })).status).toBe(401);
      expect(sim.records().map((r) => r.account)).toEqual(['acct-1', null]);
    } finally {
      sim.configure({ validKeys: null, accounts: null });
    }
  });
});
