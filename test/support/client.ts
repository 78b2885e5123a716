export interface ChatResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** POSTs a chat completion whose answer (from the simulator) is `echo: <content>`. */
export async function chat(baseUrl: string, content: string, init: { headers?: Record<string, string>; signal?: AbortSignal; model?: string } = {}): Promise<ChatResult> {
  const res = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: JSON.stringify({ model: init.model ?? 'meta-llama/llama-4-maverick:free', messages: [{ role: 'user', content }] }),
    signal: init.signal,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

export function answerOf(body: Record<string, unknown>): string | undefined {
  const choices = body.choices as { message?: { content?: string } }[] | undefined;
  return choices?.[0]?.message?.content;
}

/** Polls `check` until it returns a truthy value or the deadline passes (no fixed sleeps). */
export async function waitFor<T>(check: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
