import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { answerOf, chat } from '../support/client.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ keys: 2, env: { KEY_MIN_INTERVAL_MS: '0', MAX_BODY_BYTES: '4096' } });
});
afterAll(async () => {
  await stack?.close();
});

async function post(path: string, body: string, contentType = 'application/json') {
  const res = await fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as { error: Record<string, unknown> } };
}

const chatPath = '/v1/chat/completions';
const msgs = [{ role: 'user', content: 'hi' }];

describe('bad requests get OpenAI-style errors and never reach upstream', () => {
  test.each([
    ['malformed JSON', chatPath, '{"model": "m", "messages": [', 400, null],
    ['a JSON array', chatPath, '[1,2]', 400, null],
    ['a JSON string', chatPath, '"hello"', 400, null],
    ['no model', chatPath, JSON.stringify({ messages: msgs }), 400, 'model'],
    ['an empty model', chatPath, JSON.stringify({ model: ' ', messages: msgs }), 400, 'model'],
    ['a numeric model', chatPath, JSON.stringify({ model: 42, messages: msgs }), 400, 'model'],
    ['no messages', chatPath, JSON.stringify({ model: 'm' }), 400, 'messages'],
    ['empty messages', chatPath, JSON.stringify({ model: 'm', messages: [] }), 400, 'messages'],
    ['a message without role', chatPath, JSON.stringify({ model: 'm', messages: [{ content: 'x' }] }), 400, 'messages[0].role'],
    ['a non-boolean stream', chatPath, JSON.stringify({ model: 'm', messages: msgs, stream: 'yes' }), 400, 'stream'],
    ['completions without prompt', '/v1/completions', JSON.stringify({ model: 'm' }), 400, 'prompt'],
  ])('%s → %i', async (_name, path, body, status, param) => {
    const res = await post(path, body);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param });
    expect(typeof res.body.error.message).toBe('string');
    expect(res.body.error).toHaveProperty('code');
  });

  test('a body over MAX_BODY_BYTES → 413', async () => {
    const res = await post(chatPath, JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }));
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
  });

  test('a body that is not JSON → 415', async () => {
    const res = await post(chatPath, 'model=m', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  test('the wrong method → 405 with Allow, an unknown route → 404', async () => {
    const get = await fetch(`${stack.url}${chatPath}`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const unknown = await fetch(`${stack.url}/v1/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
  });

  test('none of them reached upstream', async () => {
    expect(await stack.sim.records()).toEqual([]);
  });
});

describe('the OpenAI-compatible routes', () => {
  test.each(['/api/v1', '/api/proxy', '/v1', ''])('answer under the prefix "%s"', async (prefix) => {
    const res = await fetch(`${stack.url}${prefix}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `via ${prefix}` }] }),
    });
    expect(res.status).toBe(200);
    expect(answerOf((await res.json()) as Record<string, unknown>)).toBe(`echo: via ${prefix}`);
  });

  test('legacy completions return the upstream body unchanged', async () => {
    const res = await fetch(`${stack.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', prompt: 'say this' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; choices: { text: string }[] };
    expect(body.object).toBe('text_completion');
    expect(body.choices[0]!.text).toBe('echo: say this');
  });

  test('attribution headers pass through to OpenRouter; other client headers do not', async () => {
    await stack.sim.reset();
    const res = await chat(stack.url, 'with headers', {
      headers: { 'HTTP-Referer': 'https://example.test/app', 'X-Title': 'My App', 'X-Secret-Thing': 'nope' },
    });
    expect(res.status).toBe(200);
    const [record] = await stack.sim.records();
    expect(record!.headers).toMatchObject({ 'http-referer': 'https://example.test/app', 'x-title': 'My App' });
  });

  test('upstream errors pass through with their status and body', async () => {
    await stack.sim.configure({ faults: [{ status: 400, body: { error: { message: 'bad param from upstream', code: 400 } } }] });
    const res = await chat(stack.url, 'will fail');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { message: 'bad param from upstream', code: 400 } });
  });
});
