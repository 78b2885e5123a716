import { describe, expect, test } from 'vitest';
import { inject } from 'vitest';
import { ALL_IN_ONE_MAIN, API_MAIN, WORKER_MAIN, runProcess } from '../support/processes.js';
import { fakeKey } from '../support/stack.js';
import { chat } from '../support/client.js';
import { spawnSimulator } from '@ork/simulator';

const keys = `${fakeKey()},${fakeKey()}`;

/** What a user sees when start-up fails: exactly one line, no stack trace. */
function expectOneClearLine(output: string, ...mentions: string[]): void {
  const lines = output.trim().split('\n');
  expect(lines).toHaveLength(1);
  for (const m of mentions) expect(lines[0]).toContain(m);
  expect(output).not.toMatch(/^\s+at /m);
}

describe('start-up failures give one clear line and exit 1', () => {
  test.each([
    ['the API', API_MAIN],
    ['the worker', WORKER_MAIN],
    ['npm start', ALL_IN_ONE_MAIN],
  ])('%s without Redis', async (_name, main) => {
    const p = runProcess(main, { OPENROUTER_API_KEYS: keys, REDIS_URL: 'redis://127.0.0.1:1', PORT: '0' });
    expect(await p.exited).toBe(1);
    expectOneClearLine(p.output(), 'Cannot reach Redis at redis://127.0.0.1:1', 'docker compose up -d redis', 'redis-server');
  });

  test.each([
    ['no keys', {}, 'OPENROUTER_API_KEYS'],
    ['only blank keys', { OPENROUTER_API_KEYS: ' , ,' }, 'OPENROUTER_API_KEYS'],
    ['a negative interval', { OPENROUTER_API_KEYS: keys, KEY_MIN_INTERVAL_MS: '-5' }, 'KEY_MIN_INTERVAL_MS'],
    ['a word for a number', { OPENROUTER_API_KEYS: keys, KEY_REQUESTS_PER_MINUTE: 'lots' }, 'KEY_REQUESTS_PER_MINUTE'],
    ['auth without password', { OPENROUTER_API_KEYS: keys, AUTH_ENABLED: 'true', AUTH_USERNAME: 'admin' }, 'AUTH_PASSWORD'],
    ['a Redis URL without scheme', { OPENROUTER_API_KEYS: keys, REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    ['a port out of range', { OPENROUTER_API_KEYS: keys, PORT: '70000' }, 'PORT'],
  ])('%s: the line names the variable', async (_label, env: Record<string, string>, variable) => {
    const p = runProcess(ALL_IN_ONE_MAIN, env);
    expect(await p.exited).toBe(1);
    expectOneClearLine(p.output(), 'Invalid configuration', variable);
  });
});

test('npm start serves requests and shuts down cleanly on SIGTERM', async () => {
  const sim = await spawnSimulator();
  const p = runProcess(ALL_IN_ONE_MAIN, {
    OPENROUTER_API_KEYS: keys,
    OPENROUTER_BASE_URL: sim.url,
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: `t-start-${process.pid}`,
    HOST: '127.0.0.1',
    PORT: '0',
    KEY_MIN_INTERVAL_MS: '0',
  });
  try {
    const { url } = (await p.waitForLog('api listening')) as { url: string };
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect((await chat(url, 'hello')).status).toBe(200);
    expect(await p.stop('SIGTERM')).toBe(0);
    expect(p.output()).toContain('"msg":"shutting down"');
  } finally {
    await p.stop('SIGKILL');
    await sim.close();
  }
});
