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
