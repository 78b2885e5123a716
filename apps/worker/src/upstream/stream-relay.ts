import { StringDecoder } from 'node:string_decoder';
import type { ReplyWriter, TokenUsage, UpstreamFacts } from '@ork/shared';
import type { ResponseSink } from './upstream-client.js';

/**
 * Relays an upstream SSE body to the waiting API process as it arrives: chunks that arrive in
 * the same tick go out as one message, in order, and the `usage` of the last chunk is kept.
 */
export class StreamRelay implements ResponseSink {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private flushScheduled = false;
  private lineBuffer = '';
  private chain: Promise<void> = Promise.resolve();
  started = false;
  usage: TokenUsage | undefined;

  constructor(
    private readonly replies: ReplyWriter,
    private readonly replyTo: string,
    private readonly requestId: string,
    /** Sent with stream-start, for the API's request log line. */
    private readonly facts: UpstreamFacts = {},
  ) {}

  start(status: number, contentType: string): boolean {
    if (status !== 200 || !contentType.includes('text/event-stream')) return false;
    this.started = true;
    this.enqueue({ type: 'stream-start', status, contentType, ...this.facts });
    return true;
  }

  chunk(data: Buffer): void {
    const text = this.decoder.write(data);
    if (text === '') return;
    this.pending += text;
    this.scanUsage(text);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends what is left and the end marker; resolves once everything is in Redis. */
  async end(): Promise<void> {
    this.pending += this.decoder.end();
    this.flush();
    this.enqueue({ type: 'stream-end', ...(this.usage ? { usage: this.usage } : {}) });
    await this.chain;
  }

  /** Ends a stream that broke after it began, the way OpenRouter does: an error chunk, then the end. */
  async fail(message: string, code: number): Promise<void> {
    this.pending += `data: ${JSON.stringify({ error: { message, code } })}\n\n`;
    await this.end();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending === '') return;
    const data = this.pending;
    this.pending = '';
    this.enqueue({ type: 'chunk', data });
  }

  private enqueue(message: Parameters<ReplyWriter['send']>[2]): void {
    this.chain = this.chain.then(() => this.replies.send(this.replyTo, this.requestId, message));
  }

  /** Usage arrives in a late `data:` line; parse only lines that mention it. */
  private scanUsage(text: string): void {
    const lines = (this.lineBuffer + text).split('\n');
    this.lineBuffer = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('data: ') || !line.includes('"usage"')) continue;
      try {
        const usage = (JSON.parse(line.slice(6)) as { usage?: { prompt_tokens?: number; completion_tokens?: number } }).usage;
        if (usage) this.usage = { promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0 };
      } catch {
        // Not JSON: relayed as is, just not counted.
      }
    }
  }
}
