import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createOpenRouter } from '@openrouter/ai-sdk-provider';
import { APICallError, embed, generateText, streamText, type EmbeddingModel, type LanguageModel } from 'ai';
import { AuthenticationError, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { embeddingOf } from '@ork/simulator';
import { startKeyedStack, type KeyedStack } from '../support/keyed-stack.js';
import { startStack, type Stack } from '../support/stack.js';
import { MODEL, EMBEDDING_MODEL, noLimits, rejection } from '../support/fixtures.js';

/**
 * The client packages users install, unchanged, against the gateway: LangChain (the code path
 * of n8n's OpenAI Chat Model node, Responses API on and off), the AI SDK with its OpenAI,
 * OpenAI-compatible and OpenRouter providers. Each asserts the exact answer, and for 401 and
 * 429 the client's own typed error.
 */

interface Clients {
  langchain(useResponsesApi: boolean): ChatOpenAI;
  langchainEmbeddings(): OpenAIEmbeddings;
  /** Every AI SDK provider's language model, by name; `openai` is the default Responses model. */
  sdkModels(): Record<string, LanguageModel>;
  sdkEmbeddings(): Record<string, EmbeddingModel>;
}

function clients(baseURL: string, apiKey: string): Clients {
  const openai = createOpenAI({ baseURL, apiKey });
  const compatible = createOpenAICompatible({ name: 'gateway', baseURL, apiKey });
  const openrouter = createOpenRouter({ baseURL, apiKey });
  return {
    langchain: (useResponsesApi) => new ChatOpenAI({ model: MODEL, apiKey, configuration: { baseURL }, maxRetries: 0, useResponsesApi }),
    langchainEmbeddings: () => new OpenAIEmbeddings({ model: EMBEDDING_MODEL, apiKey, configuration: { baseURL }, maxRetries: 0 }),
    sdkModels: () => ({
      'ai-sdk/openai (Responses)': openai(MODEL),
      'ai-sdk/openai .chat()': openai.chat(MODEL),
      'ai-sdk/openai-compatible': compatible.chatModel(MODEL),
      'openrouter/ai-sdk-provider': openrouter(MODEL),
    }),
    sdkEmbeddings: () => ({
      'ai-sdk/openai': openai.embedding(EMBEDDING_MODEL),
      'ai-sdk/openai-compatible': compatible.embeddingModel(EMBEDDING_MODEL),
      'openrouter/ai-sdk-provider': openrouter.textEmbeddingModel(EMBEDDING_MODEL),
    }),
  };
}

describe('client libraries get exact answers', () => {
  let stack: Stack;
  let c: Clients;
  beforeAll(async () => {
    stack = await startStack({ keys: 2, env: noLimits });
    c = clients(`${stack.url}/v1`, 'unused');
  });
  afterAll(async () => {
    await stack?.close();
  });

  test.each([true, false])('LangChain ChatOpenAI with useResponsesApi=%s: invoke and stream', async (useResponsesApi) => {
    await stack.sim.reset();
    const model = c.langchain(useResponsesApi);
    expect((await model.invoke('hello langchain')).text).toBe('echo: hello langchain');
    let streamed = '';
    for await (const chunk of await model.stream('stream this please')) streamed += chunk.text;
    expect(streamed).toBe('echo: stream this please');
    const paths = (await stack.sim.records()).map((r) => r.path);
    expect(paths).toEqual(Array(2).fill(useResponsesApi ? '/api/v1/responses' : '/api/v1/chat/completions'));
  });

  test("n8n's OpenAI Chat Model node 1.3 defaults: ChatOpenAI on the Responses API with the bare service URL as base", async () => {
    await stack.sim.reset();
    // What the node builds: the credential's Base URL as is, 60 s timeout, 2 retries, Responses API on.
    const node = new ChatOpenAI({ model: MODEL, apiKey: 'unused', temperature: 0.7, timeout: 60_000, maxRetries: 2, useResponsesApi: true, configuration: { baseURL: stack.url } });
    const answer = await node.invoke([
      ['system', 'You are a helpful assistant'],
      ['human', 'hello from n8n'],
    ]);
    expect(answer.text).toBe('echo: hello from n8n');
    const records = await stack.sim.records();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ path: '/api/v1/responses', body: { model: MODEL, temperature: 0.7 } });
    expect((records[0]?.body as { store?: unknown }).store).not.toBe(true);
  });

  test('LangChain OpenAIEmbeddings: embedQuery and embedDocuments', async () => {
    const embeddings = c.langchainEmbeddings();
    expect(await embeddings.embedQuery('a query')).toEqual(embeddingOf('a query'));
    expect(await embeddings.embedDocuments(['doc one', 'doc two'])).toEqual([embeddingOf('doc one'), embeddingOf('doc two')]);
  });

  test('AI SDK generateText and streamText with every provider', async () => {
    for (const [name, model] of Object.entries(c.sdkModels())) {
      await stack.sim.reset();
      const { text } = await generateText({ model, prompt: `plain via ${name}`, maxRetries: 0 });
      expect(text, name).toBe(`echo: plain via ${name}`);
      const result = streamText({ model, prompt: `streamed via ${name}`, maxRetries: 0, onError: () => undefined });
      let streamed = '';
      for await (const delta of result.textStream) streamed += delta;
      expect(streamed, name).toBe(`echo: streamed via ${name}`);
      const paths = (await stack.sim.records()).map((r) => r.path);
      expect(paths, name).toEqual(Array(2).fill(name.includes('Responses') ? '/api/v1/responses' : '/api/v1/chat/completions'));
    }
  });

  test('AI SDK embed with every provider', async () => {
    for (const [name, model] of Object.entries(c.sdkEmbeddings())) {
      const { embedding } = await embed({ model, value: `vector via ${name}`, maxRetries: 0 });
      expect(embedding, name).toEqual(embeddingOf(`vector via ${name}`));
    }
  });
});

describe('a wrong client key is each client’s own 401 error', () => {
  let keyed: KeyedStack;
  let c: Clients;
  beforeAll(async () => {
    keyed = await startKeyedStack({ keys: 1, env: noLimits });
    c = clients(`${keyed.stack.url}/v1`, 'ork-not-a-real-key');
  });
  afterAll(async () => {
    await keyed?.stack.close();
  });

  test('LangChain: openai AuthenticationError marked MODEL_AUTHENTICATION; AI SDK: APICallError 401; nothing upstream', async () => {
    for (const useResponsesApi of [true, false]) {
      const err = await rejection(c.langchain(useResponsesApi).invoke('x'));
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(err).toMatchObject({ status: 401, lc_error_code: 'MODEL_AUTHENTICATION' });
    }
    expect(await rejection(c.langchainEmbeddings().embedQuery('x'))).toBeInstanceOf(AuthenticationError);
    for (const [name, model] of Object.entries(c.sdkModels())) {
      const err = await rejection(generateText({ model, prompt: 'x', maxRetries: 0 }));
      expect(APICallError.isInstance(err), name).toBe(true);
      expect((err as APICallError).statusCode, name).toBe(401);
    }
    for (const [name, model] of Object.entries(c.sdkEmbeddings())) {
      const err = await rejection(embed({ model, value: 'x', maxRetries: 0 }));
      expect((err as APICallError).statusCode, name).toBe(401);
    }
    expect(await keyed.stack.sim.records()).toEqual([]);
  });
});

describe('a spent day is each client’s own 429 error', () => {
  let stack: Stack;
  let c: Clients;
  beforeAll(async () => {
    stack = await startStack({ keys: 1, env: { ...noLimits, KEY_REQUESTS_PER_DAY: '1' } });
    c = clients(`${stack.url}/v1`, 'unused');
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('LangChain: openai RateLimitError marked MODEL_RATE_LIMIT; AI SDK: APICallError 429 with the retry headers', async () => {
    expect((await c.langchain(true).invoke('the only one')).text).toBe('echo: the only one');
    for (const useResponsesApi of [true, false]) {
      const err = await rejection(c.langchain(useResponsesApi).invoke('one too many'));
      expect(err).toBeInstanceOf(RateLimitError);
      expect(err).toMatchObject({ status: 429, lc_error_code: 'MODEL_RATE_LIMIT' });
    }
    // A paid embedding model is not held to the free-model day (OpenRouter counts only `:free` models).
    expect((await c.langchainEmbeddings().embedQuery('x')).length).toBeGreaterThan(0);
    for (const [name, model] of Object.entries(c.sdkModels())) {
      const err = await rejection(generateText({ model, prompt: 'one too many', maxRetries: 0 }));
      expect(APICallError.isInstance(err), name).toBe(true);
      expect((err as APICallError).statusCode, name).toBe(429);
      expect(Number((err as APICallError).responseHeaders?.['retry-after']), name).toBeGreaterThan(0);
    }
    for (const [name, model] of Object.entries(c.sdkEmbeddings())) {
      expect((await embed({ model, value: 'x', maxRetries: 0 })).embedding.length, name).toBeGreaterThan(0);
    }
    // One free-model request reached upstream: the day's only one; the rest were refused by the gateway.
    expect((await stack.sim.records()).filter((r) => r.free)).toHaveLength(1);
  });
});
