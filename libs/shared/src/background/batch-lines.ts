import type { UpstreamEndpoint } from '../jobs/upstream-job.js';

/** The Batch API endpoints we run, by the `endpoint` / line `url` a client gives. */
export const BATCH_ENDPOINTS: Record<string, UpstreamEndpoint> = {
  '/v1/chat/completions': 'chat/completions',
  '/v1/completions': 'completions',
};

/** One line of an input file, read. */
export type InputLine =
  | { kind: 'request'; customId: string; body: Record<string, unknown> }
  | { kind: 'bad'; customId: string | undefined; code: string; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads one JSONL line as OpenAI's batch input `{custom_id, method, url, body}`; a bad line fails alone. */
export function readInputLine(raw: string, endpoint: string): InputLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { kind: 'bad', customId: undefined, code: 'invalid_json_line', message: 'This line is not valid JSON.' };
  }
  if (!isObject(parsed)) return { kind: 'bad', customId: undefined, code: 'invalid_json_line', message: 'This line is not a JSON object.' };
  const customId = typeof parsed.custom_id === 'string' && parsed.custom_id !== '' ? parsed.custom_id : undefined;
  if (customId === undefined) return { kind: 'bad', customId, code: 'missing_required_parameter', message: 'Each line needs a string `custom_id`.' };
  if (parsed.method !== undefined && parsed.method !== 'POST') {
    return { kind: 'bad', customId, code: 'invalid_method', message: 'Only `method: "POST"` is supported.' };
  }
  if (parsed.url !== endpoint) {
    return { kind: 'bad', customId, code: 'mismatched_url', message: `The line's \`url\` must be the batch's endpoint, ${endpoint}.` };
  }
  if (!isObject(parsed.body)) return { kind: 'bad', customId, code: 'missing_required_parameter', message: 'Each line needs a JSON object `body`.' };
  return { kind: 'request', customId, body: parsed.body };
}

/** A line of the output file (a 2xx answer) or of the error file (any other answer), OpenAI's shape. */
export function resultLine(itemId: string, customId: string, status: number, body: string): string {
  let parsedBody: unknown = body;
  try {
    parsedBody = JSON.parse(body);
  } catch {
    // Upstream sent no JSON: passed on as a string.
  }
  return JSON.stringify({
    id: `batch_req_${itemId.replace(/-/g, '')}`,
    custom_id: customId,
    response: { status_code: status, request_id: itemId, body: parsedBody },
    error: null,
  });
}

/** A line of the error file for a request that never ran (bad line, cancelled, expired). */
export function errorLine(itemId: string, customId: string | undefined, code: string, message: string): string {
  return JSON.stringify({
    id: `batch_req_${itemId.replace(/-/g, '')}`,
    custom_id: customId ?? null,
    response: null,
    error: { code, message },
  });
}
