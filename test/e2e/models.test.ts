import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ keys: 2 });
});
afterAll(async () => {
  await stack?.close();
});

interface ModelList {
  object: string;
  data: { id: string; object: string; owned_by: string; context_length?: number }[];
}

describe('the model list', () => {
  test.each(['/api/v1', '/api/proxy', '/v1', ''])('is served under "%s" in a shape OpenAI clients and n8n read', async (prefix) => {
    const res = await fetch(`${stack.url}${prefix}/models`, { headers: { authorization: 'Bearer whatever' } });
    expect(res.status).toBe(200);
    const list = (await res.json()) as ModelList;
    expect(list.object).toBe('list');
    const maverick = list.data.find((m) => m.id === 'meta-llama/llama-4-maverick:free');
    expect(maverick).toMatchObject({ object: 'model', owned_by: 'meta-llama' });
    expect(typeof maverick?.context_length).toBe('number');
  });

  test('one model by an id with slashes, and a clear 404 for an unknown one', async () => {
    const one = await fetch(`${stack.url}/v1/models/meta-llama/llama-4-maverick:free`);
    expect(one.status).toBe(200);
    expect(((await one.json()) as { id: string }).id).toBe('meta-llama/llama-4-maverick:free');
    const missing = await fetch(`${stack.url}/v1/models/nobody/nothing`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
  });

  test('is fetched once, without any key, and never spends request quota', async () => {
    const upstream = (await stack.sim.records()).filter((r) => r.path.endsWith('/models'));
    expect(upstream).toHaveLength(1);
    expect(upstream[0]!.key).toBeNull();
    const status = (await (await fetch(`${stack.url}/api/status`)).json()) as { pool: { startedToday: number } };
    expect(status.pool.startedToday).toBe(0);
  });

  test('is still served from the cache when OpenRouter is unreachable', async () => {
    await stack.sim.close();
    const res = await fetch(`${stack.url}/v1/models`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as ModelList).data.length).toBeGreaterThan(0);
  });
});

test('with nothing cached and OpenRouter unreachable, the answer is a clear 503', async () => {
  const s = await startStack({ keys: 1 });
  try {
    await s.sim.close();
    const res = await fetch(`${s.url}/v1/models`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/model list is unavailable/);
  } finally {
    await s.close();
  }
});
