import { describe, expect, test } from 'vitest';
import { BadRequestError } from '@ork/shared';
import { clientDeadline, UPSTREAM_ALLOWANCE_MS } from '../src/completions/client-deadline.js';

const QUEUE_TIMEOUT_MS = 600_000;

describe('clientDeadline', () => {
  test.each([
    ['no header: QUEUE_TIMEOUT_MS', {}, 600_000, 'QUEUE_TIMEOUT_MS'],
    ['X-Queue-Timeout in ms', { 'x-queue-timeout': '30000' }, 30_000, 'X-Queue-Timeout'],
    ['X-Queue-Timeout wins over the SDK header', { 'x-queue-timeout': '8000', 'x-stainless-timeout': '60' }, 8_000, 'X-Queue-Timeout'],
    ['X-Queue-Timeout above QUEUE_TIMEOUT_MS is capped', { 'x-queue-timeout': '900000' }, 600_000, 'QUEUE_TIMEOUT_MS'],
    ['openai-node: whole seconds', { 'x-stainless-timeout': '60' }, 60_000, 'X-Stainless-Timeout'],
    ['openai-node default (600 s) is QUEUE_TIMEOUT_MS', { 'x-stainless-timeout': '600' }, 600_000, 'QUEUE_TIMEOUT_MS'],
    ['openai-node: "0" is a timeout under a second', { 'x-stainless-timeout': '0' }, 1_000, 'X-Stainless-Timeout'],
    ['openai-python: decimal seconds', { 'x-stainless-read-timeout': '2.5' }, 2_500, 'X-Stainless-Read-Timeout'],
    ['an unreadable SDK header is ignored', { 'x-stainless-timeout': 'soon' }, 600_000, 'QUEUE_TIMEOUT_MS'],
  ] as const)('%s', (_name, headers, timeoutMs, source) => {
    const d = clientDeadline(headers, QUEUE_TIMEOUT_MS);
    expect(d).toMatchObject({ timeoutMs, source });
    expect(d.timeoutMs - d.maxWaitMs).toBe(Math.min(UPSTREAM_ALLOWANCE_MS, Math.floor(timeoutMs / 4)));
  });

  test('a short timeout keeps a quarter of itself for the upstream call, so a request that can start now still fits', () => {
    expect(clientDeadline({ 'x-queue-timeout': '1000' }, QUEUE_TIMEOUT_MS).maxWaitMs).toBe(750);
    expect(clientDeadline({ 'x-queue-timeout': '60000' }, QUEUE_TIMEOUT_MS).maxWaitMs).toBe(60_000 - UPSTREAM_ALLOWANCE_MS);
  });

  test.each(['abc', '-5', '0', '1.5', '', '1e4', '9'.repeat(13)])('X-Queue-Timeout %j is a 400 naming the header', (value) => {
    const err = (() => {
      try {
        clientDeadline({ 'x-queue-timeout': value }, QUEUE_TIMEOUT_MS);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'X-Queue-Timeout', code: 'invalid_queue_timeout' });
    expect((err as Error).message).toMatch(/X-Queue-Timeout/);
  });
});
