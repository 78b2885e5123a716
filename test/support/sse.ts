/** A streamed response read to its end: the raw text and the parsed `data:` events in order. */
export interface SseResult {
  status: number;
  contentType: string | null;
  raw: string;
  events: unknown[];
  done: boolean;
}

export function parseSse(raw: string): { events: unknown[]; done: boolean } {
  const events: unknown[] = [];
  let done = false;
  for (const block of raw.split('\n\n')) {
    for (const line of block.split('\n')) {
      if (!line.startsWith('data: ')) continue;
      const payload = line.slice(6);
      if (payload === '[DONE]') done = true;
      else events.push(JSON.parse(payload));
    }
  }
  return { events, done };
}

export async function streamChat(baseUrl: string, content: string, path = '/v1/chat/completions'): Promise<SseResult> {
  const body =
    path.endsWith('/chat/completions')
      ? { model: 'meta-llama/llama-4-maverick:free', stream: true, messages: [{ role: 'user', content }] }
      : { model: 'meta-llama/llama-4-maverick:free', stream: true, prompt: content };
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const raw = await res.text();
  const isSse = res.headers.get('content-type')?.includes('text/event-stream') ?? false;
  return { status: res.status, contentType: res.headers.get('content-type'), raw, ...(isSse ? parseSse(raw) : { events: [], done: false }) };
}

/** The text a client would show: every delta (chat) or text (completions) concatenated. */
export function streamedText(events: unknown[]): string {
  return events
    .map((e) => {
      const choice = (e as { choices?: { delta?: { content?: string }; text?: string }[] }).choices?.[0];
      return choice?.delta?.content ?? choice?.text ?? '';
    })
    .join('');
}

/**
 * Reads a response body chunk by chunk. `until` fails (never hangs) when the stream ends or
 * stays silent past the deadline before the expected text shows up.
 */
export class BodyReader {
  text = '';
  ended = false;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();

  constructor(body: ReadableStream<Uint8Array> | null) {
    if (body === null) throw new Error('the response has no body');
    this.reader = body.getReader();
  }

  private async readOnce(deadline: number, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; read so far:\n${this.text}`)), Math.max(0, deadline - Date.now()));
    });
    try {
      const { value, done } = await Promise.race([this.reader.read(), timeout]);
      if (value !== undefined) this.text += this.decoder.decode(value, { stream: true });
      if (done) this.ended = true;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads until `check(text)` holds; throws if the stream ends first. */
  async until(check: (text: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this.text)) {
      if (this.ended) throw new Error(`the stream ended before ${what}; read:\n${this.text}`);
      await this.readOnce(deadline, what);
    }
    return this.text;
  }

  /** Reads to the end of the stream. */
  async toEnd(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) await this.readOnce(deadline, 'the end of the stream');
    return this.text;
  }
}
