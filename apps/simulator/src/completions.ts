import { errorReply, type ErrorReply } from './errors.js';
import { contentText, countWords } from './text.js';
import { embeddingsBody } from './embeddings.js';
import { responseObject } from './responses.js';

/** chat/completions, completions, responses, embeddings. */
export type CompletionKind = 'chat' | 'text' | 'responses' | 'embeddings';

/** Everything needed to answer one completion, derived from the request alone. */
export interface Completion {
  kind: CompletionKind;
  id: string;
  model: string;
  created: number;
  content: string;
  stream: boolean;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** Embeddings only: the texts to embed, and whether vectors go out as base64 float32. */
  inputs?: string[];
  base64?: boolean;
}

import { PROVIDER } from './provider.js';

export { PROVIDER };

// Unique across simulator restarts without paying for crypto randomness per request.
const ID_PREFIX = Math.random().toString(36).slice(2, 10).padEnd(8, '0');

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function usage(promptWords: number, content: string): Completion['usage'] {
  const prompt_tokens = Math.max(1, promptWords);
  const completion_tokens = countWords(content);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

/** Validates a parsed body and derives the echo answer; `body === undefined` means unparsable JSON. */
export function planCompletion(kind: CompletionKind, body: unknown, seq: number, nowMs: number): Completion | ErrorReply {
  if (body === undefined) return errorReply(400, 'Invalid JSON in request body');
  if (!isObject(body)) return errorReply(400, 'Request body must be a JSON object');
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) return errorReply(400, 'No model provided');

  let promptWords = 0;
  let question: string;
  if (kind === 'responses') {
    const planned = planResponsesInput(body);
    if ('status' in planned) return planned;
    ({ question, promptWords } = planned);
  } else if (kind === 'embeddings') {
    const inputs = embeddingInputs(body.input);
    if (inputs === undefined) return errorReply(400, 'Input required: "input" must be a string or an array of strings');
    const words = inputs.reduce((sum, text) => sum + countWords(text), 0);
    const created = Math.floor(nowMs / 1000);
    return {
      kind,
      id: `gen-emb-${created}-${ID_PREFIX}${seq.toString(36)}`,
      model,
      created,
      content: '',
      stream: false,
      usage: { prompt_tokens: Math.max(1, words), completion_tokens: 0, total_tokens: Math.max(1, words) },
      inputs,
      base64: body.encoding_format === 'base64',
    };
  } else if (kind === 'chat') {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      return errorReply(400, 'Input required: specify "prompt" or "messages"');
    }
    question = '';
    for (const m of messages) {
      if (!isObject(m)) return errorReply(400, 'Each message must be an object');
      const text = contentText(m.content);
      promptWords += countWords(text);
      if (m.role === 'user') question = text;
    }
  } else {
    const prompt = body.prompt;
    if (typeof prompt === 'string') question = prompt;
    else if (Array.isArray(prompt) && prompt.every((p) => typeof p === 'string')) question = prompt.join('\n');
    else return errorReply(400, 'Input required: specify "prompt" or "messages"');
    promptWords = countWords(question);
  }

  const content = `echo: ${question}`;
  const created = Math.floor(nowMs / 1000);
  return {
    kind,
    id: `gen-${created}-${ID_PREFIX}${seq.toString(36)}`,
    model,
    created,
    content,
    stream: body.stream === true,
    usage: usage(promptWords, content),
  };
}

/**
 * The Responses API as OpenRouter serves it: stateless, so `store: true` and
 * `previous_response_id` are refused; `input` is a string or a list of messages.
 */
function planResponsesInput(body: Record<string, unknown>): { question: string; promptWords: number } | ErrorReply {
  if (body.store === true) return errorReply(400, 'Invalid Responses API request: store must be false (the Responses API is stateless)');
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    return errorReply(400, 'Invalid Responses API request: previous_response_id is not supported (the Responses API is stateless)');
  }
  const { input, instructions } = body;
  let promptWords = typeof instructions === 'string' ? countWords(instructions) : 0;
  if (typeof input === 'string' && input !== '') return { question: input, promptWords: promptWords + countWords(input) };
  if (!Array.isArray(input) || input.length === 0) return errorReply(400, 'Input required: specify "input"');
  let question = '';
  for (const item of input) {
    if (!isObject(item)) return errorReply(400, 'Each input item must be an object');
    const text = contentText(item.content);
    promptWords += countWords(text);
    if (item.role === 'user') question = text;
  }
  return { question, promptWords };
}

function embeddingInputs(input: unknown): string[] | undefined {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((i) => typeof i === 'string')) return input;
  return undefined;
}

export function isErrorReply(v: Completion | ErrorReply): v is ErrorReply {
  return 'status' in v;
}

/** Non-streaming 200 body, field order as OpenRouter sends it. */
export function completionBody(c: Completion): unknown {
  if (c.kind === 'responses') return responseObject(c, 'completed');
  if (c.kind === 'embeddings') return embeddingsBody(c);
  if (c.kind === 'chat') {
    return {
      id: c.id,
      provider: PROVIDER,
      model: c.model,
      object: 'chat.completion',
      created: c.created,
      choices: [
        {
          logprobs: null,
          finish_reason: 'stop',
          native_finish_reason: 'stop',
          index: 0,
          message: { role: 'assistant', content: c.content, refusal: null, reasoning: null },
        },
      ],
      usage: c.usage,
    };
  }
  return {
    id: c.id,
    provider: PROVIDER,
    model: c.model,
    object: 'text_completion',
    created: c.created,
    choices: [{ text: c.content, index: 0, finish_reason: 'stop', logprobs: null }],
    usage: c.usage,
  };
}
