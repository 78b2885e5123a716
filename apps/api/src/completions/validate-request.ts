import { BadRequestError, ENDPOINTS, PASS_THROUGH_HEADERS, type UpstreamEndpoint } from '@ork/shared';

export interface CompletionRequest {
  endpoint: UpstreamEndpoint;
  body: Record<string, unknown>;
  stream: boolean;
  /** Attribution headers passed through to OpenRouter. */
  headers: Record<string, string>;
}

const MAX_MODEL_LENGTH = 256;
/** OpenAI's own ceiling on inputs in one embeddings request. */
const MAX_EMBEDDING_INPUTS = 2048;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkModel(body: Record<string, unknown>): void {
  const { model, models } = body;
  if (model === undefined && Array.isArray(models) && models.length > 0) {
    if (!models.every((m) => typeof m === 'string' && m.length > 0 && m.length <= MAX_MODEL_LENGTH)) {
      throw new BadRequestError('`models` must be a list of model ids.', { param: 'models' });
    }
    return;
  }
  if (typeof model !== 'string' || model.trim() === '') {
    throw new BadRequestError('You must provide a model parameter, e.g. "meta-llama/llama-4-maverick:free".', {
      param: 'model',
    });
  }
  if (model.length > MAX_MODEL_LENGTH) throw new BadRequestError('`model` is too long.', { param: 'model' });
}

function checkMessages(body: Record<string, unknown>): void {
  const { messages } = body;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new BadRequestError('`messages` must be a non-empty array of chat messages.', { param: 'messages' });
  }
  messages.forEach((m, i) => {
    if (!isObject(m) || typeof m.role !== 'string' || m.role === '') {
      throw new BadRequestError(`messages[${i}] must be an object with a string \`role\`.`, {
        param: `messages[${i}].role`,
      });
    }
  });
}

function checkPrompt(body: Record<string, unknown>): void {
  const { prompt } = body;
  const ok = typeof prompt === 'string' || (Array.isArray(prompt) && prompt.length > 0);
  if (!ok) throw new BadRequestError('`prompt` must be a string or a non-empty array.', { param: 'prompt' });
}

/** Responses: OpenRouter's Responses API keeps no state, so anything that needs stored responses is refused here, before it queues. */
function checkResponses(body: Record<string, unknown>): void {
  const { input, store, previous_response_id: previous } = body;
  const ok = (typeof input === 'string' && input !== '') || (Array.isArray(input) && input.length > 0);
  if (!ok) throw new BadRequestError('`input` must be a non-empty string or a non-empty array of input items.', { param: 'input' });
  if (store === true) {
    throw new BadRequestError(
      "`store: true` is not supported: OpenRouter's Responses API is stateless and stores nothing. Send `store: false` or leave it out, and send the whole conversation in `input`.",
      { param: 'store', code: 'unsupported_parameter' },
    );
  }
  if (previous !== undefined && previous !== null) {
    throw new BadRequestError(
      "`previous_response_id` is not supported: OpenRouter's Responses API is stateless, so there is no earlier response to continue. Send the whole conversation in `input`.",
      { param: 'previous_response_id', code: 'unsupported_parameter' },
    );
  }
}

function checkEmbeddingInput(body: Record<string, unknown>): void {
  const { input } = body;
  if (typeof input === 'string') return;
  if (!Array.isArray(input) || input.length === 0) {
    throw new BadRequestError('`input` must be a string or a non-empty array of strings or token arrays.', { param: 'input' });
  }
  if (input.length > MAX_EMBEDDING_INPUTS) {
    throw new BadRequestError(`\`input\` holds ${input.length} items; at most ${MAX_EMBEDDING_INPUTS} fit in one request.`, { param: 'input' });
  }
}

/** The body checks of each endpoint; the compiler insists every endpoint has one. */
const BODY_CHECKS: Record<UpstreamEndpoint, (body: Record<string, unknown>) => void> = {
  'chat/completions': checkMessages,
  completions: checkPrompt,
  responses: checkResponses,
  embeddings: checkEmbeddingInput,
};

function pickHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of PASS_THROUGH_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string' && value.length <= 1024) picked[name] = value;
  }
  return picked;
}

/** Checks what OpenRouter would reject anyway, so bad requests never spend a queue slot or quota. */
export function validateCompletionRequest(
  endpoint: UpstreamEndpoint,
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
): CompletionRequest {
  if (!isObject(body)) throw new BadRequestError('The request body must be a JSON object.');
  checkModel(body);
  BODY_CHECKS[endpoint](body);
  const { stream } = body;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw new BadRequestError('`stream` must be a boolean.', { param: 'stream' });
  }
  if (stream === true && !ENDPOINTS[endpoint].streams) {
    throw new BadRequestError(`\`stream: true\` is not available for ${endpoint}.`, { param: 'stream' });
  }
  return { endpoint, body, stream: stream === true, headers: pickHeaders(headers) };
}
