import type { Completion } from './completions.js';

interface Generation {
  key: string;
  model: string;
  createdAt: number;
  streamed: boolean;
  promptTokens: number;
  completionTokens: number;
}

const MAX_GENERATIONS = 100_000;

/** Generations answered, so `GET /generation` can answer, like OpenRouter, only to the key that made one. */
export class GenerationStore {
  private readonly items = new Map<string, Generation>();

  add(key: string, c: Completion): void {
    this.items.set(c.id, {
      key,
      model: c.model,
      createdAt: c.created,
      streamed: c.stream,
      promptTokens: c.usage.prompt_tokens,
      completionTokens: c.usage.completion_tokens,
    });
    if (this.items.size > MAX_GENERATIONS) {
      const oldest = this.items.keys().next();
      if (oldest.done !== true) this.items.delete(oldest.value);
    }
  }

  /** OpenRouter's `{data: {...}}` for the generation, or undefined when this key did not make it. */
  lookup(id: string, key: string): unknown {
    const g = this.items.get(id);
    if (g === undefined || g.key !== key) return undefined;
    return {
      data: {
        id,
        model: g.model,
        created_at: new Date(g.createdAt * 1000).toISOString(),
        streamed: g.streamed,
        provider_name: 'Simulator',
        tokens_prompt: g.promptTokens,
        tokens_completion: g.completionTokens,
        native_tokens_prompt: g.promptTokens,
        native_tokens_completion: g.completionTokens,
        total_cost: 0,
        finish_reason: 'stop',
      },
    };
  }

  clear(): void {
    this.items.clear();
  }
}
