/** What a worker sends back to the API process that waits for a request. */
export type ReplyMessage =
  | { type: 'response'; status: number; contentType: string; body: string }
  | { type: 'error'; status: number; message: string; code: string; retryAfterMs?: number };

export function encodeReply(message: ReplyMessage): string {
  return JSON.stringify(message);
}

export function decodeReply(raw: string): ReplyMessage {
  return JSON.parse(raw) as ReplyMessage;
}
