import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startKeyedStack, type KeyedStack } from '../support/keyed-stack.js';
import { parseSse } from '../support/sse.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * The requests n8n makes with an "OpenAI" credential (API Key, Organization ID, Base URL):
 * the credential test is `GET {Base URL}/models` with `Authorization: Bearer <API Key>` and
 * `OpenAI-Organization: <Organization ID>`, sent even when that field is empty; the OpenAI Chat
 * Model node then posts `{Base URL}/chat/completions` through LangChain, streaming when its
 * streaming option is on (from node version 1.3 `{Base URL}/responses` by default; LangChain
 * itself drives that path in client-libraries.test.ts). Emulated with plain fetch so every header is exactly what n8n sends.
 */
const MODEL = 'meta-llama/llama-4-maverick:free';
const noLimits = { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' };

function n8nHeaders(apiKey: string): Record<string, string> {
  return { authorization: `Bearer ${apiKey}`, 'openai-organization': '', accept: 'application/json' };
}

async function credentialTest(base: string, apiKey: string): Promise<{ status: number; body: { data?: { id: string }[] } }> {
  const res = await fetch(`${base}/models`, { headers: n8nHeaders(apiKey) });
  return { status: res.status, body: (await res.json()) as { data?: { id: string }[] } };
}

/** The body LangChain's ChatOpenAI sends for the node's default options. */
function langchainBody(content: string, stream: boolean): object {
  return {
    model: MODEL,
    temperature: 0.7,
    top_p: 1,
    frequency_penalty: 0,
    presence_penalty: 0,
    n: 1,
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
    messages: [
      { role: 'system', content: 'You are a helpful assistant' },
      { role: 'user', content },
    ],
  };
}

function chatNode(base: string, apiKey: string, content: string, stream: boolean): Promise<Response> {
  return fetch(`${base}/chat/completions`, {
    method: 'POST',
    headers: { ...n8nHeaders(apiKey), 'content-type': 'application/json' },
    body: JSON.stringify(langchainBody(content, stream)),
  });
}

/** What LangChain makes of a stream: the deltas concatenated, the finish reason, the usage. */
async function readLikeLangchain(res: Response): Promise<{ text: string; finish: unknown; usage: unknown; done: boolean }> {
  const { events, done } = parseSse(await res.text());
  let text = '';
  let finish: unknown;
  let usage: unknown;
  for (const e of events as { choices: { delta?: { content?: string }; finish_reason?: unknown }[]; usage?: unknown }[]) {
    if (e.usage) usage = e.usage;
    const choice = e.choices[0];
    if (choice === undefined) continue;
    text += choice.delta?.content ?? '';
    finish = choice.finish_reason ?? finish;
  }
  return { text, finish, usage, done };
}

describe.each([
  ['the bare service URL', ''],
  ['the /v1 URL', '/v1'],
])('n8n with its Base URL set to %s', (_name, path) => {
  let stack: Stack;
  let base: string;
  beforeAll(async () => {
    stack = await startStack({ keys: 2, env: noLimits });
    base = `${stack.url}${path}`;
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('the credential test (GET /models) passes and lists model ids', async () => {
    const { status, body } = await credentialTest(base, 'any-placeholder');
    expect(status).toBe(200);
    expect(body.data?.map((m) => m.id)).toContain(MODEL);
    expect(body.data?.every((m) => typeof m.id === 'string')).toBe(true);
  });

  test('the chat node gets choices[0].message.content, and upstream got the messages', async () => {
    const res = await chatNode(base, 'any-placeholder', 'hello from n8n', false);
    expect(res.status).toBe(200);
    type Body = { choices: { message: { role: string; content: string }; finish_reason: string }[]; usage: { completion_tokens: number } };
    const body = (await res.json()) as Body;
    expect(body.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'echo: hello from n8n' }, finish_reason: 'stop' });
    expect(body.usage.completion_tokens).toBe(4);
    const upstream = (await stack.sim.records()).filter((r) => r.path === '/api/v1/chat/completions');
    expect(upstream.at(-1)?.body).toMatchObject(langchainBody('hello from n8n', false));
  });

  test('the chat node with streaming on gets every delta, the finish reason and usage', async () => {
    const res = await chatNode(base, 'any-placeholder', 'stream to the agent please', true);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const read = await readLikeLangchain(res);
    expect(read).toMatchObject({ text: 'echo: stream to the agent please', finish: 'stop', done: true });
    expect(read.usage).toMatchObject({ completion_tokens: 6 });
  });

  test("the OpenAI Chat Model node's Responses API mode (on by default from node version 1.3) is served", async () => {
    const res = await fetch(`${base}/responses`, {
      method: 'POST',
      headers: { ...n8nHeaders('any-placeholder'), 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, input: [{ role: 'user', content: 'hi from the node' }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; output: { content: { text: string }[] }[] };
    expect(body.object).toBe('response');
    expect(body.output[0]?.content[0]?.text).toBe('echo: hi from the node');
  });
});

describe('n8n against a gateway that requires client keys', () => {
  let keyed: KeyedStack;
  beforeAll(async () => {
    keyed = await startKeyedStack({ keys: 1, env: noLimits });
  });
  afterAll(async () => {
    await keyed?.stack.close();
  });

  test.for(['', '/v1'])('the issued key in the API Key field works at "%s"', async (path) => {
    const base = `${keyed.stack.url}${path}`;
    const models = await credentialTest(base, keyed.key);
    expect(models.status).toBe(200);
    expect(models.body.data?.map((m) => m.id)).toContain(MODEL);

    const plain = await chatNode(base, keyed.key, 'keyed', false);
    expect(((await plain.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('echo: keyed');
    const streamed = await readLikeLangchain(await chatNode(base, keyed.key, 'keyed stream', true));
    expect(streamed).toMatchObject({ text: 'echo: keyed stream', done: true });
  });

  test('a wrong key fails the credential test with 401 in OpenAI shape', async () => {
    const { status, body } = await credentialTest(keyed.stack.url, 'not-the-key');
    expect(status).toBe(401);
    expect(body).toMatchObject({ error: { type: 'authentication_error' } });
  });
});
