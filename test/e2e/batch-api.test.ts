import OpenAI, { toFile } from 'openai';
import { afterEach, expect, test } from 'vitest';
import type { SimRecord } from '@ork/simulator';
import { waitFor } from '../support/client.js';
import { expectWithinLimits } from '../support/limits.js';
import { startStack, type Stack } from '../support/stack.js';

const MODEL = 'meta-llama/llama-4-maverick:free';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const completions = (records: SimRecord[]): SimRecord[] => records.filter((r) => r.path.endsWith('/chat/completions'));

function sdk(s: Stack): OpenAI {
  return new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });
}

function line(customId: string, content: string): string {
  return JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model: MODEL, messages: [{ role: 'user', content }] } });
}

async function upload(openai: OpenAI, lines: string[]): Promise<string> {
  const file = await openai.files.create({ file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'input.jsonl'), purpose: 'batch' });
  expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'input.jsonl' });
  return file.id;
}

async function linesOf(openai: OpenAI, fileId: string | null): Promise<Record<string, unknown>[]> {
  if (fileId === null) return [];
  const text = await (await openai.files.content(fileId)).text();
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('a batch round trip through the openai SDK: every good line answered in OpenAI’s output format, a bad line fails alone into the error file', async () => {
  stack = await startStack({ keys: 2, env: { KEY_MIN_INTERVAL_MS: '100', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' } });
  const openai = sdk(stack);
  const good = Array.from({ length: 8 }, (_, i) => line(`req-${i}`, `line ${i}`));
  const input = await upload(openai, [...good.slice(0, 4), '{not json', JSON.stringify({ custom_id: 'no-body', method: 'POST', url: '/v1/chat/completions' }), ...good.slice(4)]);

  const created = await openai.batches.create({ input_file_id: input, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { run: 'round-trip' } });
  expect(created).toMatchObject({ object: 'batch', status: 'in_progress', endpoint: '/v1/chat/completions', input_file_id: input, completion_window: '24h' });
  expect(created.request_counts).toMatchObject({ total: 10, failed: 2 });

  const seen = new Set<number>();
  const done = await waitFor(async () => {
    const b = await openai.batches.retrieve(created.id);
    seen.add(b.request_counts?.completed ?? 0);
    return b.status === 'completed' ? b : undefined;
  }, 'the batch to complete', 30_000);
  expect(done.request_counts).toEqual({ total: 10, completed: 8, failed: 2 });
  // The counts moved while it ran, not only at the end.
  expect(seen.size).toBeGreaterThan(1);
  expect(done.metadata).toMatchObject({ run: 'round-trip' });

  const output = await linesOf(openai, done.output_file_id);
  expect(output.map((l) => l.custom_id).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `req-${i}`).sort());
  for (const l of output) {
    const response = l.response as { status_code: number; body: { choices: { message: { content: string } }[] } };
    expect(response.status_code).toBe(200);
    expect(response.body.choices[0]?.message.content).toBe(`echo: line ${String(l.custom_id).slice(4)}`);
    expect(l.error).toBeNull();
  }
  const errors = await linesOf(openai, done.error_file_id);
  expect(errors).toHaveLength(2);
  expect(errors.map((e) => (e.error as { code: string }).code).sort()).toEqual(['invalid_json_line', 'missing_required_parameter']);

  const listed = await openai.batches.list({ limit: 10 });
  expect(listed.data.map((b) => b.id)).toContain(created.id);

  const records = completions(await stack.sim.records());
  expect(records).toHaveLength(8);
  expectWithinLimits(records, { minIntervalMs: 100 }, stack.keys);
});

test('a batch is refused as a whole only for its own parameters: unknown endpoint, another completion window, a missing file', async () => {
  stack = await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' } });
  const openai = sdk(stack);
  const input = await upload(openai, [line('a', 'x')]);
  await expect(openai.batches.create({ input_file_id: input, endpoint: '/v1/chat/completions', completion_window: '48h' as '24h' })).rejects.toMatchObject({
    status: 400,
    code: 'invalid_completion_window',
  });
  await expect(openai.batches.create({ input_file_id: input, endpoint: '/v1/embeddings', completion_window: '24h' })).rejects.toMatchObject({ status: 400, code: 'invalid_endpoint' });
  await expect(openai.batches.create({ input_file_id: 'file-nope', endpoint: '/v1/chat/completions', completion_window: '24h' })).rejects.toMatchObject({ status: 400 });
  await expect(openai.batches.retrieve('batch_nope')).rejects.toMatchObject({ status: 404 });
});
