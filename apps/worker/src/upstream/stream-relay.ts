import { StringDecoder } from 'node:string_decoder';
import { streamErrorEvent, tokensOf, type ReplyMessage, type ReplyWriter, type SseDialect, type TokenUsage, type UpstreamFacts } from '@ork/shared';
import type { ResponseSink } from './upstream-client.js';

/** What the relay needs from a `data:` line; chat chunks and Responses events alike. */
interface StreamEvent {
  id?: unknown;
  usage?: unknown;
  sequence_number?: unknown;
  response?: { id?: unknown; usage?: unknown };
}

/**
 * Relays an upstream SSE body to the waiting API process as it arrives: chunks that arrive in
 * the same tick go out as one message, in order; the first rides on `stream-start` and the
 * last on `stream-end`, so a short answer costs two reply messages. Keeps the `usage` of the last chunk (the
 * Responses API's `response.completed` event), the generation id, and the last sequence number.
 */
export class StreamRelay implements ResponseSink {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private flushScheduled = false;
  private lineBuffer = '';
  private chain: Promise<void> = Promise.resolve();
  started = false;
  usage: TokenUsage | undefined;
  /** The first chunk's `id` (the Responses API's `response.id`): what a client asks `GET /generation` for. */
  generationId: string | undefined;
  private lastSequence = -1;
  /** stream-start, held until the first SSE text can go with it. */
  private startMessage: Extract<ReplyMessage, { type: 'stream-start' }> | undefined;

  constructor(
    private readonly replies: ReplyWriter,
    private readonly replyTo: string,
    private readonly requestId: string,
    /** Sent with stream-start, for the API's request log line. */
    private readonly facts: UpstreamFacts = {},
    /** How the endpoint frames its events, for the error that ends a broken stream. */
    private readonly dialect: SseDialect = 'chat',
  ) {}

  start(status: number, contentType: string): boolean {
    if (status !== 200 || !contentType.includes('text/event-stream')) return false;
    this.started = true;
    this.startMessage = { type: 'stream-start', status, contentType, ...this.facts };
    return true;
  }

  chunk(data: Buffer): void {
    const text = this.decoder.write(data);
    if (text === '') return;
    this.pending += text;
    this.scan(text);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends what is left and the end marker; resolves once everything is in Redis. */
  async end(): Promise<void> {
    this.pending += this.decoder.end();
    if (this.startMessage) this.flush();
    const data = this.pending;
    this.pending = '';
    this.enqueue({ type: 'stream-end', ...(this.usage ? { usage: this.usage } : {}), ...(data === '' ? {} : { data }) });
    await this.chain;
  }

  /** Ends a stream that broke after it began, the way OpenRouter does: an error chunk (event), then the end. */
  async fail(message: string, code: number): Promise<void> {
    this.pending += streamErrorEvent(this.dialect, { message, code }, this.lastSequence + 1);
    await this.end();
  }

  private flush(): void {
    this.flushScheduled = false;
    const start = this.startMessage;
    if (this.pending === '' && !start) return;
    const data = this.pending;
    this.pending = '';
    this.startMessage = undefined;
    if (start) this.enqueue(data === '' ? start : { ...start, data });
    else this.enqueue({ type: 'chunk', data });
  }

  private enqueue(message: ReplyMessage): void {
    this.chain = this.chain.then(() => this.replies.send(this.replyTo, this.requestId, message));
  }

  /**
   * Usage arrives in a late `data:` line; lines are parsed only while the generation id is
   * still unknown, or when they mention usage (or, for Responses, carry a sequence number).
   */
  private scan(text: string): void {
    const lines = (this.lineBuffer + text).split('\n');
    this.lineBuffer = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('data: ')) continue;
      const wanted = this.generationId === undefined || line.includes('"usage"') || this.dialect === 'responses';
      if (!wanted || line === 'data: [DONE]') continue;
      let event: StreamEvent;
      try {
        event = JSON.parse(line.slice(6)) as StreamEvent;
      } catch {
        continue; // Not JSON: relayed as is, just not read.
      }
      const id = event.id ?? event.response?.id;
      if (this.generationId === undefined && typeof id === 'string') this.generationId = id;
      if (typeof event.sequence_number === 'number') this.lastSequence = event.sequence_number;
      const usage = event.usage ?? event.response?.usage;
      if (usage !== undefined && usage !== null) this.usage = tokensOf({ usage });
    }
  }
}
