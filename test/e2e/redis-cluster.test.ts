import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Cluster } from 'ioredis';
import OpenAI, { toFile } from 'openai';
import { answerOf, chat, waitFor } from '../support/client.js';
import { MODEL } from '../support/fixtures.js';
import { startStack, type Stack } from '../support/stack.js';
import { expectWithinLimits } from '../support/limits.js';
import { LocalCluster, clusterToolsMissing } from '../support/local-cluster.js';

// The API and the worker run as real processes against a three-master cluster on loopback ports.
const missing = clusterToolsMissing();
if (missing) console.warn(`redis-cluster tests skipped: ${missing} (install Debian's redis package)`);

const completions = <T extends { path: string }>(records: T[]): T[] => records.filter((r) => r.path.endsWith('/chat/completions'));

describe.skipIf(missing !== undefined)('on a Redis Cluster of three masters', () => {
  let cluster: LocalCluster;
  let stack: Stack | undefined;
  beforeAll(async () => {
    cluster = new LocalCluster();
    await cluster.start();
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await cluster?.stop();
  });
  const start = async (keys: number, env: Record<string, string>): Promise<Stack> => {
    await stack?.close();
    // Debug: failed metric flushes and other retried writes are logged at that level only.
    stack = await startStack({ keys, env: { LOG_LEVEL: 'debug', ...env }, redisClusterNodes: cluster.nodes, apiProcesses: 1, workerProcesses: 1 });
    return stack;
  };

  test('a burst over several keys: every request answered, no key breaks its spacing, the queues spread over the masters', async () => {
    const s = await start(4, { KEY_MIN_INTERVAL_MS: '100', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' });
    const n = 40;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => chat(s.url, `cluster burst ${i}`)));
    results.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(answerOf(r.body)).toBe(`echo: cluster burst ${i}`);
    });
    const records = completions(await s.sim.records());
    expect(records).toHaveLength(n);
    expect(new Set(records.map((r) => r.key)).size).toBe(4);
    expectWithinLimits(records, { minIntervalMs: 100 }, s.keys);

    // The status and the metrics read every key's state on the cluster too.
    const status = await fetch(`${s.url}/api/status`);
    expect(status.status).toBe(200);
    const metrics = await fetch(`${s.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('ork_');
    const board = await fetch(`${s.url}/admin/queues/api/queues`);
    expect(board.status).toBe(200);

    // Our state shares one slot; the key queues live in slots of their own, on more than one master.
    const redis = s.redis as Cluster;
    const holders = new Set<string>();
    for (const node of redis.nodes('master')) {
      const [, found] = await node.scan('0', 'MATCH', `${s.prefix}:{key-*`, 'COUNT', 10_000);
      if (found.length > 0) holders.add(`${node.options.host ?? ''}:${node.options.port ?? 0}`);
    }
    expect(holders.size).toBeGreaterThan(1);
    expect(s.logs()).not.toMatch(/CROSSSLOT|non local key|do not hash to the same slot|same slots allocation group/);
  });

  test('the daily cap: refused cleanly with Retry-After once every key has used its day', async () => {
    const s = await start(2, { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '3' });
    const ok = await Promise.all(Array.from({ length: 6 }, (_, i) => chat(s.url, `cluster day ${i}`)));
    expect(ok.map((r) => r.status)).toEqual(Array(6).fill(200));
    const refused = await chat(s.url, 'tomorrow please');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ type: 'rate_limit_error', code: 'daily_limit_reached' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const records = completions(await s.sim.records());
    expect(records).toHaveLength(6);
    expectWithinLimits(records, { perDay: 3 }, s.keys);
    expect(s.logs()).not.toMatch(/CROSSSLOT|non local key|do not hash to the same slot|same slots allocation group/);
  });

  test('background work: async jobs and a Batch upload go through the backlog and the dispatcher and come back on the cluster', async () => {
    const s = await start(2, { KEY_MIN_INTERVAL_MS: '50', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' });
    const post = async (content: string): Promise<string> => {
      const r = await fetch(`${s.url}/v1/async/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content }] }),
      });
      expect(r.status).toBe(202);
      return String(((await r.json()) as { id: string }).id);
    };
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => post(`cluster async ${i}`)));
    for (const [i, id] of ids.entries()) {
      const done = await waitFor(async () => {
        const body = (await (await fetch(`${s.url}/v1/async/jobs/${id}`)).json()) as {
          status: string;
          response?: { status_code: number; body: { choices: { message: { content: string } }[] } };
        };
        return body.status === 'completed' ? body : undefined;
      }, `async job ${i} to complete`, 20_000);
      expect(done.response?.status_code).toBe(200);
      expect(done.response?.body.choices[0]?.message.content).toBe(`echo: cluster async ${i}`);
    }

    // A Batch upload through the openai SDK: the file, the batch, its lines and its output file.
    const openai = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const lines = [
      ...Array.from({ length: 4 }, (_, i) =>
        JSON.stringify({ custom_id: `c-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: MODEL, messages: [{ role: 'user', content: `cluster line ${i}` }] } }),
      ),
      '{not json',
    ];
    const file = await openai.files.create({ file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'input.jsonl'), purpose: 'batch' });
    const created = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const batch = await waitFor(async () => {
      const b = await openai.batches.retrieve(created.id);
      return b.status === 'completed' ? b : undefined;
    }, 'the batch to complete', 20_000);
    expect(batch.request_counts).toEqual({ total: 5, completed: 4, failed: 1 });
    const output = (await (await openai.files.content(batch.output_file_id ?? '')).text()).trim().split('\n');
    expect(output.map((l) => (JSON.parse(l) as { custom_id: string }).custom_id).sort()).toEqual(['c-0', 'c-1', 'c-2', 'c-3']);

    const records = completions(await s.sim.records());
    expect(records).toHaveLength(10);
    expectWithinLimits(records, { minIntervalMs: 50 }, s.keys);
    expect(s.logs()).not.toMatch(/CROSSSLOT|non local key|do not hash to the same slot|same slots allocation group/);
  });
});
