import type { UpstreamEndpoint } from '../jobs/upstream-job.js';

/** How an endpoint's SSE stream is framed, and so how an error after the 200 must look. */
export type SseDialect = 'chat' | 'responses';

export interface EndpointSpec {
  /**
   * Request starts one request takes from its key's spacing, minute and day limits. OpenRouter
   * counts every request to a `:free` model toward the account's limits, whatever the endpoint.
   */
  quotaStarts: 1;
  /** Whether `stream: true` is accepted. */
  streams: boolean;
  sseDialect: SseDialect;
  /** Where the answer's text or vectors live in a 200 body: absent or empty means the 200 carries an error. */
  resultField: 'choices' | 'output' | 'data';
}

/** What each queued endpoint costs and how its answers look: the one table every part reads. */
export const ENDPOINTS: Readonly<Record<UpstreamEndpoint, EndpointSpec>> = {
  'chat/completions': { quotaStarts: 1, streams: true, sseDialect: 'chat', resultField: 'choices' },
  completions: { quotaStarts: 1, streams: true, sseDialect: 'chat', resultField: 'choices' },
  responses: { quotaStarts: 1, streams: true, sseDialect: 'responses', resultField: 'output' },
  embeddings: { quotaStarts: 1, streams: false, sseDialect: 'chat', resultField: 'data' },
};

/**
 * Read-only routes answered without a queue. They spend no request quota: OpenRouter serves
 * the catalogues without a key, and a generation lookup is not a model request.
 */
export const DIRECT_ROUTES = ['models', 'models/{id}', 'embeddings/models', 'models/{author}/{slug}/endpoints', 'generation'] as const;

/**
 * The SSE text that ends a stream which broke after its 200, in the endpoint's own format:
 * a `data:` chunk carrying `error` for chat and completions (as OpenRouter sends it), an
 * `error` event for the Responses API. Both make the OpenAI SDKs throw.
 */
export interface StreamErrorBody {
  message: string;
  code?: number | string | null;
  type?: string;
  [field: string]: unknown;
}

export function streamErrorEvent(dialect: SseDialect, error: StreamErrorBody, sequenceNumber = 0): string {
  if (dialect === 'chat') return `data: ${JSON.stringify({ error })}\n\n`;
  const code = error.code === undefined || error.code === null ? undefined : String(error.code);
  const event = {
    type: 'error',
    sequence_number: sequenceNumber,
    // Nested under `error` too: openai-node throws on it, the AI SDK accepts both forms.
    error: { type: error.type ?? 'server_error', code: code ?? null, message: error.message, param: null },
    code: code ?? null,
    message: error.message,
    param: null,
  };
  return `event: error\ndata: ${JSON.stringify(event)}\n\n`;
}
