import { BadRequestError, PASS_THROUGH_HEADERS, type UpstreamEndpoint } from '@ork/shared';

export interface CompletionRequest {
  endpoint: UpstreamEndpoint;
  body: Record<string, unknown>;
  stream: boolean;
  /** Attribution headers passed through to OpenRouter. */
  headers: Record<string, string>;
}

const MAX_MODEL_LENGTH = 256;

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

function pickHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of PASS_THROUGH_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string' && value.length <= 1024) picked[name] = value;
  }
  return picked;
}

/** Checks what OpenRouter would reject anyway, so bad requests never spend a queue slot. */
export function validateCompletionRequest(
  endpoint: UpstreamEndpoint,
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
): CompletionRequest {
  if (!isObject(body)) throw new BadRequestError('The request body must be a JSON object.');
  checkModel(body);
  if (endpoint === 'chat/completions') checkMessages(body);
  else checkPrompt(body);
  const { stream } = body;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw new BadRequestError('`stream` must be a boolean.', { param: 'stream' });
  }
  return { endpoint, body, stream: stream === true, headers: pickHeaders(headers) };
}
