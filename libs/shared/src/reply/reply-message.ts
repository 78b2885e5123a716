export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** Which key served a request and how long it queued, for the API's request log line. */
export interface UpstreamFacts {
  keyId?: string;
  queueWaitMs?: number;
}

/**
 * What a worker sends back to the API process that waits for a request. A plain request gets
 * one `response` or `error`; a streamed one gets `stream-start`, any number of `chunk`s (raw
 * SSE text, in order) and one `stream-end`. `stream-start` carries the first SSE text and
 * `stream-end` the last (`data`), so a short answer costs two messages, not four.
 */
export type ReplyMessage =
  | ({ type: 'response'; status: number; contentType: string; body: string; usage?: TokenUsage } & UpstreamFacts)
  | { type: 'error'; status: number; message: string; code: string; retryAfterMs?: number }
  | ({ type: 'stream-start'; status: number; contentType: string; data?: string } & UpstreamFacts)
  | { type: 'chunk'; data: string }
  | { type: 'stream-end'; usage?: TokenUsage; data?: string };

/** After these nothing more comes for the request. */
export function isFinalReply(message: ReplyMessage): boolean {
  return message.type === 'response' || message.type === 'error' || message.type === 'stream-end';
}

export function encodeReply(message: ReplyMessage): string {
  return JSON.stringify(message);
}

export function decodeReply(raw: string): ReplyMessage {
  return JSON.parse(raw) as ReplyMessage;
}
