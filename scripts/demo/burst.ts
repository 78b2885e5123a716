import OpenAI from 'openai';

export const DEMO_MODEL = 'meta-llama/llama-4-maverick:free';

/** One request through the real OpenAI SDK; every third one streamed. True when the answer is its own echo. */
async function ask(client: OpenAI, i: number): Promise<boolean> {
  const content = `demo request ${i}`;
  const messages = [{ role: 'user' as const, content }];
  if (i % 3 === 2) {
    const stream = await client.chat.completions.create({ model: DEMO_MODEL, messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    return text === `echo: ${content}`;
  }
  const completion = await client.chat.completions.create({ model: DEMO_MODEL, messages });
  return completion.choices[0]?.message.content === `echo: ${content}`;
}

/**
 * Fires `count` requests at once, as a client would, and waits for all of them. The gateway
 * queues them per key, so none comes back as a 429 and none is retried by the SDK.
 */
export interface BurstResult {
  answered: number;
  errors: string[];
  elapsedMs: number;
}

export async function burst(baseUrl: string, count: number, onAnswer: (ok: boolean) => void): Promise<BurstResult> {
  const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'demo (any value works without API_KEY_AUTH_ENABLED)', maxRetries: 0 });
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      let ok = false;
      let error: string | undefined;
      try {
        ok = await ask(client, i);
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      onAnswer(ok);
      return { ok, error };
    }),
  );
  return {
    answered: results.filter((r) => r.ok).length,
    errors: results.map((r) => r.error).filter((e): e is string => e !== undefined),
    elapsedMs: Date.now() - started,
  };
}
