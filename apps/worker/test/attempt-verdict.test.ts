import { describe, expect, test } from 'vitest';
import type { Attempt } from '../src/call-upstream.js';
import { judgeAttempt } from '../src/decisions/attempt-verdict.js';

const answer = (status: number, body: unknown, streamed = false): Attempt => ({
  kind: 'answer',
  answer: { status, headers: {}, body: JSON.stringify(body), streamed },
  contentType: 'application/json',
  usage: { promptTokens: 0, completionTokens: 0 },
  upstreamMs: 1,
  queueWaitMs: undefined,
  sentAt: 0,
  generationIds: [],
});

describe('judgeAttempt', () => {
  test('a good answer is delivered with its status', () => {
    expect(judgeAttempt(answer(200, { choices: [{}] }))).toEqual({ kind: 'answer', verdict: { kind: 'deliver' }, status: 200 });
  });

  test('a 200 carrying an error goes out with that error’s status', () => {
    const judged = judgeAttempt(answer(200, { error: { message: 'overloaded', code: 503 } }));
    expect(judged).toEqual({ kind: 'answer', verdict: { kind: 'retry', reason: 'error-in-200' }, status: 503 });
  });

  test('a 200 carrying an error without a usable code goes out as 502', () => {
    expect(judgeAttempt(answer(200, { error: { message: 'x', code: 'weird' } }))).toMatchObject({ status: 502 });
    expect(judgeAttempt(answer(200, { choices: [] }))).toMatchObject({ status: 502 });
  });

  test('an upstream 500 keeps its status', () => {
    expect(judgeAttempt(answer(500, { error: { message: 'x' } }))).toEqual({
      kind: 'answer',
      verdict: { kind: 'retry', reason: 'upstream-error' },
      status: 500,
    });
  });

  test('network errors say whether a stream was under way', () => {
    const base = { kind: 'network-error', message: 'down', timedOut: false } as const;
    expect(judgeAttempt({ ...base, relay: undefined })).toEqual({ ...base, midStream: false });
  });

  test('a cancelled call stays cancelled', () => {
    expect(judgeAttempt({ kind: 'cancelled' })).toEqual({ kind: 'cancelled' });
  });
});
