/** Static answers for GET /models and GET /key, shaped like OpenRouter's. */

interface ModelSpec {
  id: string;
  name: string;
  created: number;
  context: number;
  maxOut: number | null;
  tokenizer: string;
  image: boolean;
  price: { prompt: string; completion: string };
}

const FREE = { prompt: '0', completion: '0' };

const SPECS: ModelSpec[] = [
  { id: 'meta-llama/llama-4-maverick:free', name: 'Meta: Llama 4 Maverick (free)', created: 1743881822, context: 128000, maxOut: 4028, tokenizer: 'Llama4', image: true, price: FREE },
  { id: 'deepseek/deepseek-chat-v3-0324:free', name: 'DeepSeek: DeepSeek V3 0324 (free)', created: 1742824755, context: 163840, maxOut: null, tokenizer: 'DeepSeek', image: false, price: FREE },
  { id: 'mistralai/mistral-small-3.1-24b-instruct:free', name: 'Mistral: Mistral Small 3.1 24B (free)', created: 1742238937, context: 128000, maxOut: null, tokenizer: 'Mistral', image: true, price: FREE },
  { id: 'google/gemma-3-27b-it:free', name: 'Google: Gemma 3 27B (free)', created: 1741756359, context: 96000, maxOut: 8192, tokenizer: 'Gemini', image: true, price: FREE },
  { id: 'openai/gpt-4o', name: 'OpenAI: GPT-4o', created: 1715367049, context: 128000, maxOut: 16384, tokenizer: 'GPT', image: true, price: { prompt: '0.0000025', completion: '0.00001' } },
];

const PARAMS = ['max_tokens', 'temperature', 'top_p', 'stop', 'frequency_penalty', 'presence_penalty', 'seed', 'response_format'];

function toModel(s: ModelSpec): unknown {
  const input = s.image ? ['text', 'image'] : ['text'];
  return {
    id: s.id,
    canonical_slug: s.id.replace(/:free$/, ''),
    hugging_face_id: null,
    name: s.name,
    created: s.created,
    description: `${s.name} served by the OpenRouter simulator.`,
    context_length: s.context,
    architecture: {
      modality: s.image ? 'text+image->text' : 'text->text',
      input_modalities: input,
      output_modalities: ['text'],
      tokenizer: s.tokenizer,
      instruct_type: null,
    },
    pricing: { ...s.price, request: '0', image: '0', web_search: '0', internal_reasoning: '0' },
    top_provider: { context_length: s.context, max_completion_tokens: s.maxOut, is_moderated: s.id.startsWith('openai/') },
    per_request_limits: null,
    supported_parameters: PARAMS,
  };
}

export const MODEL_IDS: readonly string[] = SPECS.map((s) => s.id);

/** Serialized once: the list never changes, and /models may be polled often. */
export const MODELS_JSON = JSON.stringify({ data: SPECS.map(toModel) });

/** OpenRouter labels keys by a masked prefix and suffix. */
function label(key: string): string {
  return key.length > 16 ? `${key.slice(0, 11)}...${key.slice(-3)}` : key;
}

export interface KeyInfoFacts {
  noCredits: boolean;
  creatorUserId: string;
  /** The account's free-model requests today and its ceiling; undefined = not reported. */
  freeDaily: { used: number; limit: number } | undefined;
}

/** `GET /key` as OpenRouter answers it; `rate_limit` is deprecated there (always -1). */
export function keyInfo(key: string, facts: KeyInfoFacts): unknown {
  const daily = facts.freeDaily;
  return {
    data: {
      label: label(key),
      limit: facts.noCredits ? 0 : null,
      limit_remaining: facts.noCredits ? 0 : null,
      limit_reset: null,
      usage: 0,
      usage_daily: 0,
      usage_weekly: 0,
      usage_monthly: 0,
      is_free_tier: true,
      is_provisioning_key: false,
      is_management_key: false,
      creator_user_id: facts.creatorUserId,
      ...(daily === undefined
        ? {}
        : { free_model_daily_requests: { used: daily.used, limit: daily.limit, remaining: Math.max(0, daily.limit - daily.used) } }),
      rate_limit: { requests: -1, interval: '10s' },
    },
  };
}

/** `GET /models/{author}/{slug}/endpoints` for a listed model: one simulated provider. */
export function modelEndpoints(id: string): unknown {
  const s = SPECS.find((m) => m.id === id);
  if (s === undefined) return undefined;
  const model = toModel(s) as Record<string, unknown>;
  return {
    data: {
      id: s.id,
      name: s.name,
      created: s.created,
      description: model.description,
      architecture: model.architecture,
      endpoints: [
        {
          name: `Simulator | ${s.id}`,
          model_name: s.name,
          context_length: s.context,
          pricing: model.pricing,
          provider_name: 'Simulator',
          tag: 'simulator',
          quantization: null,
          max_completion_tokens: s.maxOut,
          max_prompt_tokens: null,
          supported_parameters: PARAMS,
          status: 0,
          uptime_last_30m: 100,
        },
      ],
    },
  };
}

export const EMBEDDING_MODEL_IDS: readonly string[] = ['openai/text-embedding-3-small', 'qwen/qwen3-embedding-8b'];

/** `GET /embeddings/models`, shaped like `/models`. */
export const EMBEDDING_MODELS_JSON = JSON.stringify({
  data: EMBEDDING_MODEL_IDS.map((id, i) => ({
    id,
    canonical_slug: id,
    name: id,
    created: 1_750_000_000 + i,
    description: `${id} served by the OpenRouter simulator.`,
    context_length: 8192,
    architecture: { modality: 'text->embeddings', input_modalities: ['text'], output_modalities: ['embeddings'], tokenizer: 'Other', instruct_type: null },
    pricing: { prompt: '0.00000002', completion: '0', request: '0', image: '0' },
    top_provider: { context_length: 8192, max_completion_tokens: null, is_moderated: false },
    per_request_limits: null,
    supported_parameters: ['dimensions', 'encoding_format'],
  })),
});
