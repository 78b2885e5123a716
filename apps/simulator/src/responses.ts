import type { Completion } from './completions.js';
import { PROVIDER } from './provider.js';
import { splitWords } from './text.js';

/** Responses API objects and stream events, shaped like OpenRouter's (OpenAI's Responses format). */

function messageId(c: Completion): string {
  return `msg-${c.id}`;
}

function usage(c: Completion): unknown {
  return {
    input_tokens: c.usage.prompt_tokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: c.usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: c.usage.total_tokens,
  };
}

function textPart(text: string): unknown {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

function message(c: Completion, done: boolean): unknown {
  return {
    type: 'message',
    id: messageId(c),
    status: done ? 'completed' : 'in_progress',
    role: 'assistant',
    content: done ? [textPart(c.content)] : [],
  };
}

export function responseObject(c: Completion, status: 'in_progress' | 'completed'): unknown {
  const done = status === 'completed';
  return {
    id: c.id,
    object: 'response',
    created_at: c.created,
    model: c.model,
    provider: PROVIDER,
    status,
    output: done ? [message(c, true)] : [],
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    temperature: null,
    top_p: null,
    tools: [],
    tool_choice: 'auto',
    parallel_tool_calls: true,
    store: false,
    usage: done ? usage(c) : null,
  };
}

/** One `event:` + `data:` pair; the data repeats the type and carries the running sequence number. */
function event(type: string, seq: number, fields: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq, ...fields })}\n\n`;
}

/**
 * The event frames of a streamed response, grouped so each element is written after one chunk
 * delay: the opening events with the first delta, then one delta each, the closing events last.
 * No `data: [DONE]`: the Responses API ends with `response.completed`.
 */
export function responseFrames(c: Completion, commentEvery: number, comment: string): string[] {
  let seq = 0;
  const at = { item_id: messageId(c), output_index: 0, content_index: 0 };
  const opening =
    event('response.created', seq++, { response: responseObject(c, 'in_progress') }) +
    event('response.in_progress', seq++, { response: responseObject(c, 'in_progress') }) +
    event('response.output_item.added', seq++, { output_index: 0, item: message(c, false) }) +
    event('response.content_part.added', seq++, { ...at, part: textPart('') });
  const pieces = splitWords(c.content);
  if (pieces.length === 0) pieces.push('');
  const frames = pieces.map((delta, i) => {
    const keepAlive = i > 0 && i % commentEvery === 0 ? comment : '';
    return keepAlive + event('response.output_text.delta', seq++, { ...at, delta, logprobs: [] });
  });
  frames[0] = opening + (frames[0] ?? '');
  const closing =
    event('response.output_text.done', seq++, { ...at, text: c.content, logprobs: [] }) +
    event('response.content_part.done', seq++, { ...at, part: textPart(c.content) }) +
    event('response.output_item.done', seq++, { output_index: 0, item: message(c, true) }) +
    event('response.completed', seq++, { response: responseObject(c, 'completed') });
  frames[frames.length - 1] += closing;
  return frames;
}
