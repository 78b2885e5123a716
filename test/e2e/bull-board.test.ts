import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { maskKey } from '@ork/shared';
import { chat, waitFor } from '../support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { basic, issueKey } from './admin-helpers.js';

const PASS = 'board-password-7c1e';
const ADMIN = { authorization: basic('admin', PASS) };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    keys: 2,
    env: {
      // Bull Board shows finished jobs only while they are retained (none by default).
      JOB_RETENTION_SECONDS: '3600',
      AUTH_ENABLED: 'true',
      AUTH_USERNAME: 'admin',
      AUTH_PASSWORD: PASS,
      API_KEY_AUTH_ENABLED: 'true',
      KEY_MIN_INTERVAL_MS: '0',
      KEY_REQUESTS_PER_DAY: '2',
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

interface BoardQueue {
  name: string;
  displayName?: string;
  description?: string;
  readOnlyMode: boolean;
  jobs: { data: unknown }[];
}

async function boardQueues(query = ''): Promise<{ text: string; queues: BoardQueue[] }> {
  const res = await fetch(`${stack.url}/admin/queues/api/queues${query}`, { headers: ADMIN });
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, queues: (JSON.parse(text) as { queues: BoardQueue[] }).queues };
}
const keyQueues = (queues: BoardQueue[]): BoardQueue[] => queues.filter((q) => q.name.startsWith('key-'));

describe('Bull Board', () => {
  test('the page is served behind the admin guard', async () => {
    expect((await fetch(`${stack.url}/admin/queues`)).status).toBe(401);
    const page = await fetch(`${stack.url}/admin/queues`, { headers: ADMIN });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  test('lists every key queue under its masked key, read-only, with its state', async () => {
    const { queues: all, text } = await boardQueues();
    const queues = keyQueues(all);
    expect(queues.map((q) => q.displayName).sort()).toEqual(stack.keys.map(maskKey).sort());
    // Paid-model requests of every key wait in one queue of their own.
    expect(all.filter((q) => !q.name.startsWith('key-')).map((q) => [q.name, q.readOnlyMode])).toEqual([['paid', true]]);
    for (const q of queues) {
      expect(q.name).toMatch(/^key-[0-9a-f]{12}$/);
      expect(q.readOnlyMode).toBe(true);
      // Each made-up key is an account of its own at the fake OpenRouter (a hashed creator_user_id).
      expect(q.description).toMatch(
        /^active · account user_[0-9a-f]{2}…[0-9a-f]{4} \(upstream\) · account today 0\/2 \(config\), this key 0 started, 0 ok, 0 failed · account this minute 0\/20 · next free slot now$/,
      );
    }
    for (const key of stack.keys) expect(text).not.toContain(key.slice(9, 40));
  });

  test('descriptions follow the keys: use today, then exhausted for the day', async () => {
    const client = await issueKey(stack.url, { name: 'board' }, ADMIN);
    const headers = { 'x-api-key': client.key };
    expect((await chat(stack.url, 'first', { headers })).status).toBe(200);
    await waitFor(
      async () => (await boardQueues()).queues.some((q) => q.description?.includes('account today 1/2 (config), this key 1 started, 1 ok')),
      'a description showing one request today',
    );
    for (let i = 0; i < 3; i++) expect((await chat(stack.url, `more ${i}`, { headers })).status).toBe(200);
    await waitFor(
      async () => keyQueues((await boardQueues()).queues).every((q) => q.description?.startsWith('exhausted for today (resets 00:00:00 UTC)')),
      'every description to say exhausted',
    );
    expect((await chat(stack.url, 'too many', { headers })).status).toBe(429);
  });

  test('job data and results shown there hold no upstream key, client key or admin password', async () => {
    const client = await issueKey(stack.url, { name: 'secret-check' }, ADMIN);
    // This one is refused by the day limit, but its key is presented all three ways.
    await fetch(`${stack.url}/v1/chat/completions?api_key=${client.key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': client.key, authorization: `Bearer ${client.key}` },
      body: JSON.stringify({ model: 'm:free', messages: [{ role: 'user', content: 'x' }] }),
    });
    const { queues: list } = await boardQueues();
    const everything: string[] = [];
    let jobs = 0;
    for (const q of list) {
      const detail = await boardQueues(`?activeQueue=${encodeURIComponent(q.name)}&page=1&jobsPerPage=100`);
      everything.push(detail.text);
      jobs += detail.queues.find((d) => d.name === q.name)?.jobs.length ?? 0;
    }
    // The jobs really are there to look at, without their prompts (JOB_RETENTION_KEEP_PROMPTS is off).
    expect(jobs).toBeGreaterThanOrEqual(4);
    expect(everything.join('\n')).toContain('"requestId"');
    expect(everything.join('\n')).not.toContain('more 0');
    const all = everything.join('\n');
    for (const key of stack.keys) {
      expect(all).not.toContain(key);
      expect(all).not.toContain(key.slice(9, 40));
    }
    expect(all).not.toContain(client.key);
    expect(all).not.toContain(client.key.slice(7));
    expect(all).not.toContain(PASS);
  });
});
