import { describe, expect, test } from 'vitest';
import { estimateCompletion, itemOutcome, readInputLine, resultLine, type ReplyMessage } from '@ork/shared';

describe('itemOutcome: what a worker reply means for a background item', () => {
  const cases: [string, ReplyMessage, ReturnType<typeof itemOutcome>][] = [
    ['a 200 completes it', { type: 'response', status: 200, contentType: 'application/json', body: '{}' }, { kind: 'finish', status: 'completed', httpStatus: 200, body: '{}' }],
    ['an upstream 400 fails it with that answer', { type: 'response', status: 400, contentType: 'application/json', body: '{"error":{}}' }, { kind: 'finish', status: 'failed', httpStatus: 400, body: '{"error":{}}' }],
    ['no capacity today puts it back', { type: 'error', status: 429, code: 'daily_limit_reached', message: 'm' }, { kind: 'requeue' }],
    ['every key busy puts it back', { type: 'error', status: 429, code: 'queue_full', message: 'm' }, { kind: 'requeue' }],
    ['lost by Redis puts it back', { type: 'error', status: 503, code: 'request_lost', message: 'm' }, { kind: 'requeue' }],
    ['a revoked client key fails it', { type: 'error', status: 401, code: 'client_key_revoked', message: 'm' }, {
      kind: 'finish',
      status: 'failed',
      httpStatus: 401,
      body: JSON.stringify({ error: { message: 'm', type: 'authentication_error', code: 'client_key_revoked', param: null } }),
    }],
    ['stream messages are not for it', { type: 'chunk', data: 'x' }, undefined],
  ];
  test.each(cases)('%s', (_name, message, expected) => {
    expect(itemOutcome(message)).toEqual(expected);
  });
});

describe('readInputLine: one batch input line', () => {
  const url = '/v1/chat/completions';
  test.each([
    ['not JSON', '{x', 'invalid_json_line'],
    ['not an object', '[1]', 'invalid_json_line'],
    ['no custom_id', JSON.stringify({ method: 'POST', url, body: {} }), 'missing_required_parameter'],
    ['a GET', JSON.stringify({ custom_id: 'a', method: 'GET', url, body: {} }), 'invalid_method'],
    ['another url', JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/embeddings', body: {} }), 'mismatched_url'],
    ['no body', JSON.stringify({ custom_id: 'a', method: 'POST', url }), 'missing_required_parameter'],
  ])('%s fails that line', (_name, raw, code) => {
    expect(readInputLine(raw, url)).toMatchObject({ kind: 'bad', code });
  });
  test('a good line', () => {
    expect(readInputLine(JSON.stringify({ custom_id: 'a', method: 'POST', url, body: { model: 'm' } }), url)).toEqual({ kind: 'request', customId: 'a', body: { model: 'm' } });
  });
  test('result lines take OpenAI’s shape', () => {
    expect(JSON.parse(resultLine('1234-5678', 'a', 200, '{"ok":true}'))).toEqual({
      id: 'batch_req_12345678',
      custom_id: 'a',
      response: { status_code: 200, request_id: '1234-5678', body: { ok: true } },
      error: null,
    });
  });
});

describe('estimateCompletion', () => {
  const now = 1_000_000;
  test('at the pool’s pace when today has room', () => {
    expect(estimateCompletion(10, now, { msPerRequest: 100, blockedUntil: undefined, perDay: 0 })).toBe(now + 1_000);
  });
  test('after the reset when today is spent', () => {
    expect(estimateCompletion(10, now, { msPerRequest: 100, blockedUntil: now + 5_000, perDay: 0 })).toBe(now + 6_000);
  });
  test('whole days of capacity for what today and tomorrow cannot hold', () => {
    expect(estimateCompletion(250, now, { msPerRequest: 10, blockedUntil: undefined, perDay: 100 })).toBe(now + 2 * 86_400_000 + 500);
  });
});
