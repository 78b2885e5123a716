import { randomUUID } from 'node:crypto';
import {
  BATCH_ENDPOINTS,
  BadRequestError,
  errorLine,
  newBatchId,
  readInputLine,
  HttpError,
  type BackgroundStores,
  type NewItem,
} from '@ork/shared';
import { validateCompletionRequest } from '../completions/validate-request.js';

/** The one completion window offered: OpenAI's own. */
export const COMPLETION_WINDOWS: Record<string, number> = { '24h': 86_400_000 };

export interface CreateBatchInput {
  input_file_id?: unknown;
  endpoint?: unknown;
  completion_window?: unknown;
  metadata?: unknown;
}

function checkMetadata(metadata: unknown): Record<string, string> | null {
  if (metadata === undefined || metadata === null) return null;
  const ok =
    typeof metadata === 'object' &&
    !Array.isArray(metadata) &&
    Object.keys(metadata).length <= 16 &&
    Object.entries(metadata).every(([k, v]) => k.length <= 64 && typeof v === 'string' && v.length <= 512);
  if (!ok) throw new BadRequestError('`metadata` must be an object of at most 16 string values.', { param: 'metadata' });
  return metadata as Record<string, string>;
}

/**
 * Reads the input file line by line: each good line becomes a background item in the client's
 * batch lane, each bad one a line of the error file at once; the batch is refused only as a whole
 * when its own parameters are wrong.
 */
export async function createBatch(stores: BackgroundStores, ownerId: string, input: CreateBatchInput): Promise<string> {
  const endpoint = input.endpoint;
  if (typeof endpoint !== 'string' || BATCH_ENDPOINTS[endpoint] === undefined) {
    throw new BadRequestError(`\`endpoint\` must be one of ${Object.keys(BATCH_ENDPOINTS).join(', ')}.`, { param: 'endpoint', code: 'invalid_endpoint' });
  }
  const window = input.completion_window;
  const windowMs = typeof window === 'string' ? COMPLETION_WINDOWS[window] : undefined;
  if (windowMs === undefined) {
    throw new BadRequestError('`completion_window` must be "24h" (the only window offered).', { param: 'completion_window', code: 'invalid_completion_window' });
  }
  const metadata = checkMetadata(input.metadata);
  if (typeof input.input_file_id !== 'string') throw new BadRequestError('`input_file_id` is required.', { param: 'input_file_id' });
  const file = await stores.files.get(input.input_file_id, ownerId);
  if (!file || file.purpose !== 'batch') throw new BadRequestError(`No batch input file ${input.input_file_id}.`, { param: 'input_file_id', code: 'invalid_file' });
  const content = await stores.files.content(file.id);
  if (content === undefined) throw new BadRequestError(`No batch input file ${input.input_file_id}.`, { param: 'input_file_id', code: 'invalid_file' });

  const upstreamEndpoint = BATCH_ENDPOINTS[endpoint];
  const items: NewItem[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  let lineNo = 0;
  for (const raw of content.split('\n')) {
    lineNo++;
    if (raw.trim() === '') continue;
    const id = randomUUID();
    const line = readInputLine(raw, endpoint);
    if (line.kind === 'bad') {
      errors.push(errorLine(id, line.customId, line.code, `Line ${lineNo}: ${line.message}`));
      continue;
    }
    if (seen.has(line.customId)) {
      errors.push(errorLine(id, line.customId, 'duplicate_custom_id', `Line ${lineNo}: custom_id ${line.customId} appears twice.`));
      continue;
    }
    seen.add(line.customId);
    try {
      const request = validateCompletionRequest(upstreamEndpoint, { ...line.body, stream: false }, {});
      items.push({ id, clientId: ownerId, customId: line.customId, line: lineNo, request: { endpoint: request.endpoint, body: request.body, headers: request.headers } });
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      errors.push(errorLine(id, line.customId, err.code ?? 'invalid_request', `Line ${lineNo}: ${err.message}`));
    }
  }
  const total = items.length + errors.length;
  if (total === 0) throw new BadRequestError('The input file holds no request lines.', { param: 'input_file_id', code: 'empty_file' });
  const batchId = newBatchId();
  await stores.batches.create({ id: batchId, ownerId, endpoint, inputFileId: file.id, completionWindow: '24h', windowMs, metadata, total }, errors);
  await stores.backlog.submitBatch(batchId, ownerId, items);
  return batchId;
}
