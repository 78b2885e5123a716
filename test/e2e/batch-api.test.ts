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

async function linesOf(openai: OpenAI, fileId: string | null | undefined): Promise<Record<string, unknown>[]> {
  if (fileId === null || fileId === undefined) return [];
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

test('cancelling a batch: lines already in a key queue finish, the rest never reach upstream, the partial output is kept', async () => {
  stack = await startStack({
    keys: 1,
    env: { KEY_MIN_INTERVAL_MS: '300', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0', BACKGROUND_DISPATCH_AHEAD_MS: '500' },
  });
  const s = stack;
  const openai = sdk(s);
  const input = await upload(openai, Array.from({ length: 30 }, (_, i) => line(`c-${i}`, `cancel ${i}`)));
  const batch = await openai.batches.create({ input_file_id: input, endpoint: '/v1/chat/completions', completion_window: '24h' });
  await waitFor(async () => ((await openai.batches.retrieve(batch.id)).request_counts?.completed ?? 0) >= 2, 'two lines done', 20_000);
  const cancelling = await openai.batches.cancel(batch.id);
  expect(['cancelling', 'cancelled']).toContain(cancelling.status);
  const done = await waitFor(async () => {
    const b = await openai.batches.retrieve(batch.id);
    return b.status === 'cancelled' ? b : undefined;
  }, 'the batch to be cancelled', 20_000);
  const completed = done.request_counts?.completed ?? 0;
  expect(completed).toBeGreaterThanOrEqual(2);
  expect(completed).toBeLessThan(30);
  expect(done.cancelled_at).not.toBeNull();
  expect(await linesOf(openai, done.output_file_id)).toHaveLength(completed);

  // Nothing more runs after the cancel settled.
  const ran = completions(await s.sim.records());
  expect(ran).toHaveLength(completed + (done.request_counts?.failed ?? 0));
  expectWithinLimits(ran, { minIntervalMs: 300 }, s.keys);
});

test('a batch larger than today’s capacity runs on after 00:00 UTC, and says when it expects to finish', async () => {
  const PER_DAY = 3;
  stack = await startStack({
    keys: 2,
    env: { KEY_MIN_INTERVAL_MS: '50', KEY_REQUESTS_PER_MINUTE: '20', KEY_REQUESTS_PER_DAY: String(PER_DAY) },
    simulatorEnv: { SIM_PER_DAY: String(PER_DAY) },
  });
  const s = stack;
  const openai = sdk(s);
  const midnight = await s.clock.setBeforeMidnight(6_000);
  const input = await upload(openai, Array.from({ length: 10 }, (_, i) => line(`m-${i}`, `night ${i}`)));
  const batch = await openai.batches.create({ input_file_id: input, endpoint: '/v1/chat/completions', completion_window: '24h' });

  // Today's 2 × PER_DAY are served, then the batch waits for the reset instead of failing.
  const waiting = await waitFor(async () => {
    const b = await openai.batches.retrieve(batch.id);
    return (b.request_counts?.completed ?? 0) >= 2 * PER_DAY && s.clock.now() < midnight ? b : undefined;
  }, 'today’s capacity to be used', 20_000);
  expect(waiting.status).toBe('in_progress');
  expect(waiting.request_counts?.failed).toBe(0);
  const estimate = Number((waiting as unknown as { estimated_completion_at: number }).estimated_completion_at);
  expect(waiting.metadata).toMatchObject({ estimated_completion_at: String(estimate) });
  // It knows the rest waits for the reset: the estimate lies past the (real-time) midnight.
  const midnightRealMs = Date.now() + (midnight - s.clock.now());
  expect(estimate * 1000).toBeGreaterThanOrEqual(Math.floor(midnightRealMs / 1000) * 1000 - 1000);

  const done = await waitFor(async () => {
    const b = await openai.batches.retrieve(batch.id);
    return b.status === 'completed' ? b : undefined;
  }, 'the batch to finish after midnight', 30_000);
  expect(done.request_counts).toEqual({ total: 10, completed: 10, failed: 0 });
  const records = completions(await s.sim.records());
  expect(records).toHaveLength(10);
  expect(records.filter((r) => r.status === 429)).toEqual([]);
  expect(records.filter((r) => r.receivedAtMs >= midnight)).toHaveLength(10 - 2 * PER_DAY);
  expectWithinLimits(records, { minIntervalMs: 50, perDay: PER_DAY }, s.keys);
});

test('status and /metrics show batch work apart from synchronous work', async () => {
  stack = await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '1000', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0', BACKGROUND_DISPATCH_AHEAD_MS: '1500' } });
  const s = stack;
  const openai = sdk(s);
  const input = await upload(openai, Array.from({ length: 12 }, (_, i) => line(`s-${i}`, `status ${i}`)));
  const batch = await openai.batches.create({ input_file_id: input, endpoint: '/v1/chat/completions', completion_window: '24h' });
  const status = await waitFor(async () => {
    const body = (await (await fetch(`${s.url}/api/status`)).json()) as {
      background: { waiting: { async: number; batch: number }; inKeyQueues: number; inKeyQueuesWaiting: number; clients: { id: string; batchWaiting: number; batches: number }[] };
      pool: { waiting: number };
    };
    return body.background.inKeyQueues > 0 ? body : undefined;
  }, 'batch lines in a key queue', 10_000);
  expect(status.background.waiting.batch).toBeGreaterThan(0);
  expect(status.background.waiting.async).toBe(0);
  expect(status.background.clients).toEqual([{ id: 'anonymous', asyncWaiting: 0, batchWaiting: status.background.waiting.batch, batches: 1 }]);
  // Only the lines the key can start soon are in its queue; the rest waits in the backlog.
  expect(status.background.inKeyQueues).toBeLessThanOrEqual(3);
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  expect(metrics).toMatch(/^ork_background_waiting\{lane="batch"\} [1-9]\d*$/m);
  expect(metrics).toMatch(/^ork_background_waiting\{lane="async"\} 0$/m);
  expect(metrics).toMatch(/^ork_background_in_key_queues [1-9]/m);
  await openai.batches.cancel(batch.id);
});

test('uploads are read as a stream and capped: past BATCH_MAX_FILE_BYTES a 413, past BATCH_MAX_LINES a 400, another purpose a 400', async () => {
  stack = await startStack({ keys: 1, env: { BATCH_MAX_FILE_BYTES: '2000', BATCH_MAX_LINES: '5', KEY_MIN_INTERVAL_MS: '0' } });
  const openai = sdk(stack);
  const big = Array.from({ length: 4 }, (_, i) => line(`b-${i}`, 'x'.repeat(600)));
  await expect(openai.files.create({ file: await toFile(Buffer.from(big.join('\n')), 'big.jsonl'), purpose: 'batch' })).rejects.toMatchObject({ status: 413, code: 'file_too_large' });
  const many = Array.from({ length: 6 }, (_, i) => line(`m-${i}`, 'y'));
  await expect(openai.files.create({ file: await toFile(Buffer.from(`${many.join('\n')}\n`), 'many.jsonl'), purpose: 'batch' })).rejects.toMatchObject({ status: 400, code: 'too_many_lines' });
  await expect(openai.files.create({ file: await toFile(Buffer.from(`${many[0]}\n`), 'a.jsonl'), purpose: 'assistants' })).rejects.toMatchObject({ status: 400, code: 'invalid_purpose' });
  const json = await fetch(`${stack.url}/v1/files`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(json.status).toBe(415);
  // Within the caps it is stored and readable by its owner.
  const ok = await openai.files.create({ file: await toFile(Buffer.from(`${many.slice(0, 5).join('\n')}\n`), 'ok.jsonl'), purpose: 'batch' });
  expect(await openai.files.retrieve(ok.id)).toMatchObject({ id: ok.id, bytes: ok.bytes, purpose: 'batch' });
  await expect(openai.files.retrieve('file-unknown')).rejects.toMatchObject({ status: 404 });
});

test('with two worker processes every line runs exactly once (one dispatcher at a time, answers read by a consumer group)', async () => {
  stack = await startStack({ keys: 3, workerProcesses: 2, env: { KEY_MIN_INTERVAL_MS: '60', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' } });
  const s = stack;
  const openai = sdk(s);
  const input = await upload(openai, Array.from({ length: 30 }, (_, i) => line(`p-${i}`, `proc ${i}`)));
  const batch = await openai.batches.create({ input_file_id: input, endpoint: '/v1/chat/completions', completion_window: '24h' });
  const done = await waitFor(async () => {
    const b = await openai.batches.retrieve(batch.id);
    return b.status === 'completed' ? b : undefined;
  }, 'the batch to complete', 30_000);
  expect(done.request_counts).toEqual({ total: 30, completed: 30, failed: 0 });
  expect((await linesOf(openai, done.output_file_id)).map((l) => l.custom_id).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `p-${i}`).sort());
  const records = completions(await s.sim.records());
  expect(records.map((r) => (r.body as { messages: { content: string }[] }).messages[0]!.content).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `proc ${i}`).sort());
  expectWithinLimits(records, { minIntervalMs: 60 }, s.keys);
});
