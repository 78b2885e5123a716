import type { ServerResponse } from 'node:http';
import { PROVIDER, type Completion } from './completions.js';
import { responseFrames } from './responses.js';
import { splitWords } from './text.js';

export const PROCESSING = ': OPENROUTER PROCESSING\n\n';
const DONE = 'data: [DONE]\n\n';
/** A keep-alive comment goes out every this many chunks so client parsers meet comments mid-stream. */
const COMMENT_EVERY = 5;

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
};

function data(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

function contentChunk(c: Completion, piece: string, last: boolean): unknown {
  const finish = last ? 'stop' : null;
  if (c.kind === 'chat') {
    return {
      id: c.id,
      provider: PROVIDER,
      model: c.model,
      object: 'chat.completion.chunk',
      created: c.created,
      choices: [
        {
          index: 0,
          delta: { role: 'assistant', content: piece },
          finish_reason: finish,
          native_finish_reason: finish,
          logprobs: null,
        },
      ],
    };
  }
  return {
    id: c.id,
    provider: PROVIDER,
    model: c.model,
    object: 'text_completion',
    created: c.created,
    choices: [{ text: piece, index: 0, finish_reason: finish, logprobs: null }],
  };
}

function usageChunk(c: Completion): unknown {
  return {
    id: c.id,
    provider: PROVIDER,
    model: c.model,
    object: c.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: c.created,
    choices: [],
    usage: c.usage,
  };
}

/** Everything after the opening comment, grouped so each element is written after one chunk delay. */
export function streamFrames(c: Completion): string[] {
  if (c.kind === 'responses') return responseFrames(c, COMMENT_EVERY, PROCESSING);
  const pieces = splitWords(c.content);
  if (pieces.length === 0) pieces.push('');
  const last = pieces.length - 1;
  return pieces.map((piece, i) => {
    const comment = i > 0 && i % COMMENT_EVERY === 0 ? PROCESSING : '';
    const frame = comment + data(contentChunk(c, piece, i === last));
    return i === last ? frame + data(usageChunk(c)) + DONE : frame;
  });
}

/**
 * Headers and the processing comment go out at once, like OpenRouter does while it waits for
 * the provider; the latency is spent after them. With no delays the whole stream is one write.
 * Stops silently once the client has gone; the caller's 'close' listener records the abort.
 */
export function writeStream(res: ServerResponse, c: Completion, latencyMs: number, chunkDelayMs: number, headers: Record<string, string> = {}): void {
  res.writeHead(200, { ...SSE_HEADERS, ...headers });
  const frames = streamFrames(c);
  if (latencyMs <= 0 && chunkDelayMs <= 0) {
    res.end(PROCESSING + frames.join(''));
    return;
  }
  res.write(PROCESSING);
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  res.once('close', () => clearTimeout(timer));
  const step = (): void => {
    if (res.destroyed) return;
    if (chunkDelayMs <= 0) {
      res.end(i === 0 ? frames.join('') : frames.slice(i).join(''));
      return;
    }
    const frame = frames[i++] as string;
    if (i === frames.length) res.end(frame);
    else {
      res.write(frame);
      timer = setTimeout(step, chunkDelayMs);
    }
  };
  if (latencyMs > 0) timer = setTimeout(step, latencyMs);
  else step();
}
