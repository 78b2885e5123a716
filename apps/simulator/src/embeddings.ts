import type { Completion } from './completions.js';
import { PROVIDER } from './provider.js';

export const EMBEDDING_DIMENSIONS = 8;

/**
 * A deterministic vector for a text: multiples of 1/256, so they survive float32 (base64)
 * exactly and tests can compare them for equality.
 */
export function embeddingOf(text: string): number[] {
  const sums = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
  for (let i = 0; i < text.length; i++) sums[i % EMBEDDING_DIMENSIONS] = ((sums[i % EMBEDDING_DIMENSIONS] ?? 0) * 31 + text.charCodeAt(i)) % 65_521;
  return sums.map((s) => (s % 256) / 256);
}

function base64Of(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

export function embeddingsBody(c: Completion): unknown {
  return {
    id: c.id,
    object: 'list',
    data: (c.inputs ?? []).map((text, index) => ({
      object: 'embedding',
      embedding: c.base64 === true ? base64Of(embeddingOf(text)) : embeddingOf(text),
      index,
    })),
    model: c.model,
    provider: PROVIDER,
    usage: { prompt_tokens: c.usage.prompt_tokens, total_tokens: c.usage.total_tokens },
  };
}
