import { errorReply, type ErrorReply } from './errors.js';
import { contentText, countWords } from './text.js';

export type CompletionKind = 'chat' | 'text';

/** Everything needed to answer one completion, derived from the request alone. */
export interface Completion {
  kind: CompletionKind;
  id: string;
  model: string;
  created: number;
  content: string;
  stream: boolean;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export const PROVIDER = 'Simulator';

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
  if (kind === 'chat') {
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

export function isErrorReply(v: Completion | ErrorReply): v is ErrorReply {
  return 'status' in v;
}

/** Non-streaming 200 body, field order as OpenRouter sends it. */
export function completionBody(c: Completion): unknown {
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
