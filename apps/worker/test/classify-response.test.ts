import { describe, expect, test } from 'vitest';
import { classifyResponse, type UpstreamAnswer } from '../src/upstream/classify-response.js';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const MIDNIGHT = Date.UTC(2026, 10, 25);
const answer = (status: number, body: unknown, headers: Record<string, string> = {}): UpstreamAnswer => ({
  status,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  streamed: false,
});

// Bodies as OpenRouter sends them (FACTS.md).
const perDay = {
  error: {
    message: 'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day',
    code: 429,
    metadata: { headers: { 'X-RateLimit-Limit': '50', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(MIDNIGHT) }, provider_name: null },
  },
  user_id: 'user_x',
};
const perMinute = {
  error: {
    message: 'Rate limit exceeded: free-models-per-min. ',
    code: 429,
    metadata: { headers: { 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(NOW + 30_000) } },
  },
};
const provider = {
  error: {
    message: 'Provider returned error',
    code: 429,
    metadata: { raw: 'temporarily rate-limited upstream', provider_name: 'X', limit_source: 'upstream_provider_shared_pool' },
  },
};

describe('classifyResponse', () => {
  test('OpenRouter per-minute 429 cools the key down until X-RateLimit-Reset', () => {
    expect(classifyResponse(answer(429, perMinute), NOW)).toEqual({ kind: 'key-cooldown', untilMs: NOW + 30_000 });
  });
  test('the same headers as real response headers count too', () => {
    const body = { error: { message: 'Rate limit exceeded: free-models-per-min.', code: 429 } };
    const headers = { 'x-ratelimit-limit': '20', 'x-ratelimit-reset': String(NOW + 5_000) };
    expect(classifyResponse(answer(429, body, headers), NOW)).toEqual({ kind: 'key-cooldown', untilMs: NOW + 5_000 });
  });
  test('OpenRouter per-day 429 exhausts the key until reset and teaches its real daily limit', () => {
    expect(classifyResponse(answer(429, perDay), NOW)).toEqual({ kind: 'key-exhausted', untilMs: MIDNIGHT, learned: { limit: 50, untilMs: MIDNIGHT } });
  });
  test.each([
    ['empty', ''],
    ['zero', '0'],
    ['negative', '-5'],
    ['fractional', '12.5'],
    ['not a number', 'lots'],
    ['above the configured 200', '500'],
  ])('a per-day 429 whose X-RateLimit-Limit is %s teaches nothing (issue 12, finding 3)', (_label, limit) => {
    const body = { error: { ...perDay.error, metadata: { headers: { ...perDay.error.metadata.headers, 'X-RateLimit-Limit': limit } } } };
    expect(classifyResponse(answer(429, body), NOW, 200)).toEqual({ kind: 'key-exhausted', untilMs: MIDNIGHT, learned: undefined });
  });
  test('resets far ahead are capped: a day at the next UTC reset, a cooldown at two minutes (issue 12, finding 3)', () => {
    const tenYears = String(NOW + 10 * 365 * 86_400_000);
    const day = { error: { ...perDay.error, metadata: { headers: { 'X-RateLimit-Limit': '50', 'X-RateLimit-Reset': tenYears } } } };
    expect(classifyResponse(answer(429, day), NOW, 200)).toMatchObject({ kind: 'key-exhausted', untilMs: MIDNIGHT });
    const minute = { error: { ...perMinute.error, metadata: { headers: { 'X-RateLimit-Limit': '20', 'X-RateLimit-Reset': tenYears } } } };
    expect(classifyResponse(answer(429, minute), NOW)).toEqual({ kind: 'key-cooldown', untilMs: NOW + 120_000 });
  });
  test("a provider's 429 is not the key's fault: retry elsewhere", () => {
    expect(classifyResponse(answer(429, provider), NOW)).toEqual({ kind: 'retry', reason: 'provider-rate-limited' });
  });
  test('401 and 402 take the key out of rotation', () => {
    expect(classifyResponse(answer(401, { error: { message: 'User not found.', code: 401 } }))).toEqual({ kind: 'key-disabled', reason: 'invalid' });
    expect(classifyResponse(answer(402, { error: { message: 'Insufficient credits', code: 402 } }))).toEqual({ kind: 'key-disabled', reason: 'no-credits' });
    const keyLimit = { error: { message: 'Key limit exceeded', code: 402, metadata: { limit_source: 'openrouter_key_limit' } } };
    expect(classifyResponse(answer(402, keyLimit))).toEqual({ kind: 'key-disabled', reason: 'no-credits' });
    const inFlight = { error: { message: 'In-flight budget', code: 402, metadata: { limit_source: 'openrouter_in_flight_budget' } } };
    expect(classifyResponse(answer(402, inFlight))).toEqual({ kind: 'retry', reason: 'upstream-error' });
  });
  test.each([500, 502, 503, 408])('%i is retried', (status) => {
    expect(classifyResponse(answer(status, { error: { message: 'x', code: status } }))).toEqual({ kind: 'retry', reason: 'upstream-error' });
  });
  test.each([
    ['a top-level error', { error: { message: 'boom', code: 502 } }],
    ['no choices', { id: 'gen', choices: [] }],
    ['not JSON', 'upstream hiccup'],
  ])('a 200 with %s is treated as an error', (_name, body) => {
    expect(classifyResponse(answer(200, body))).toEqual({ kind: 'retry', reason: 'error-in-200' });
  });
  test.each([400, 403, 404, 413, 422])("%i is the client's problem: delivered as is", (status) => {
    expect(classifyResponse(answer(status, { error: { message: 'x', code: status } }))).toEqual({ kind: 'deliver' });
  });
  test('a good answer and anything already streamed are delivered', () => {
    expect(classifyResponse(answer(200, { choices: [{ message: { content: 'hi' } }] }))).toEqual({ kind: 'deliver' });
    expect(classifyResponse({ ...answer(502, 'x'), streamed: true })).toEqual({ kind: 'deliver' });
  });
});

describe('classifyResponse per endpoint: where a 200 keeps its result', () => {
  const ok = (endpoint: UpstreamAnswer['endpoint'], body: unknown): UpstreamAnswer => ({ ...answer(200, body), endpoint });
  test.each([
    ['responses', { object: 'response', status: 'completed', error: null, output: [{ type: 'message' }] }, 'deliver'],
    ['responses', { object: 'response', status: 'failed', error: { code: 'server_error', message: 'x' }, output: [] }, 'retry'],
    ['responses', { object: 'response', status: 'completed', error: null, output: [] }, 'retry'],
    ['responses', { choices: [{}] }, 'retry'],
    ['embeddings', { object: 'list', data: [{ embedding: [0.5] }] }, 'deliver'],
    ['embeddings', { object: 'list', data: [] }, 'retry'],
    ['embeddings', { error: { message: 'x', code: 502 } }, 'retry'],
    ['completions', { choices: [{ text: 'a' }] }, 'deliver'],
    [undefined, { choices: [{ message: {} }] }, 'deliver'],
  ] as const)('%s %j → %s', (endpoint, body, kind) => {
    expect(classifyResponse(ok(endpoint, body), NOW).kind).toBe(kind);
  });
});
