import { connect } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { answerOf, chat } from '../support/client.js';
import { brokenJson, mutatedBody, pick, prng, randomValue, type Rand } from '../support/fuzz.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    keys: 3,
    env: { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0', MAX_BODY_BYTES: '65536', LOG_LEVEL: 'warn' },
  });
});
afterAll(async () => {
  await stack?.close();
});

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const PATHS = ['/v1/chat/completions', '/chat/completions', '/api/v1/completions', '/api/proxy/chat/completions', '/v1/models', '/v1/models/a/b', '/v1/nope', '/%', '/v1/chat/completions/..%2f', '/api/status?x=%ZZ'];
const TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/vnd.api+json', 'application/json; charset=utf-16'];

function randomRequest(r: Rand): { path: string; init: RequestInit } {
  const kind = Math.floor(r() * 4);
  const body = kind === 0 ? JSON.stringify(randomValue(r)) : kind === 1 ? JSON.stringify(mutatedBody(r)) : kind === 2 ? brokenJson(r) : 'x'.repeat(Math.floor(r() * 70_000));
  const headers: Record<string, string> = { 'content-type': pick(r, TYPES) };
  if (r() < 0.2) headers['content-encoding'] = pick(r, ['gzip', 'br', 'identity', 'bogus']);
  if (r() < 0.2) headers.authorization = pick(r, ['Bearer', 'Bearer x', 'Basic !!!', 'x'.repeat(4000)]);
  if (r() < 0.2) headers['x-title'] = pick(r, ['a'.repeat(5000), '\u00ff', 'ok']);
  const method = pick(r, ['POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
  return { path: pick(r, PATHS), init: { method, headers, ...(method === 'GET' ? {} : { body }) } };
}

test('thousands of random and mutated requests: never a 500, never a crash, and other clients are served meanwhile', async () => {
  const r = prng(SEED);
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  const fuzz = async (worker: number) => {
    for (let i = 0; i < 100; i++) {
      const { path, init } = randomRequest(r);
      const res = await fetch(`${stack.url}${path}`, init);
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) failures.push(`${init.method} ${path} → ${res.status} ${text.slice(0, 200)} (worker ${worker}, i ${i})`);
      if (res.status >= 400 && res.status !== 405 && path !== '/v1/models' && !text.startsWith('{"error"')) {
        if (!(res.status === 404 && text.startsWith('{"error"'))) failures.push(`${path} → ${res.status} not OpenAI-shaped: ${text.slice(0, 120)}`);
      }
    }
  };
  const legit = async () => {
    const results = [];
    for (let i = 0; i < 40; i++) results.push(await chat(stack.url, `legit ${i}`));
    return results;
  };
  const [, legitResults] = await Promise.all([Promise.all(Array.from({ length: 20 }, (_, w) => fuzz(w))), legit()]);
  const errors = stack.logs().split('\n').filter((l) => l.includes('"level":50')).slice(0, 3);
  expect({ failures: failures.slice(0, 10), errors }).toEqual({ failures: [], errors: [] });
  legitResults.forEach((res, i) => {
    expect(res.status).toBe(200);
    expect(answerOf(res.body)).toBe(`echo: legit ${i}`);
  });
  expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(2000);
});

/** Sends raw bytes and returns the raw answer. */
function raw(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(payload));
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

test.each([
  ['a header split by a bare newline', 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Title: a\nX-Evil: 1\r\nContent-Length: 2\r\n\r\n{}'],
  ['a header name with a space', 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX Evil: 1\r\nContent-Length: 2\r\n\r\n{}'],
  ['a huge header', `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
  ['garbage instead of HTTP', 'HELLO\r\n\r\n'],
])('%s gets a 4xx in OpenAI’s shape, not a dropped connection', async (_name, payload) => {
  const port = Number(new URL(stack.url).port);
  const answer = await raw(port, payload);
  expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
  expect(answer).toContain('{"error":{');
});
