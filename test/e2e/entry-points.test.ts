import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, expect, inject, test } from 'vitest';
import { spawnSimulator, type SpawnedSimulator } from '@ork/simulator';
import { answerOf, chat, waitFor } from '../support/client.js';
import { ALL_IN_ONE_MAIN, REPO_ROOT, runCommand, runProcess, type RunningProcess } from '../support/processes.js';
import { deleteByPrefix, freshPrefix } from '../support/redis-cleanup.js';
import { fakeKey } from '../support/stack.js';
import { readStatus } from '../support/status.js';

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function simulator(): Promise<SpawnedSimulator> {
  const sim = await spawnSimulator();
  cleanups.push(() => sim.close());
  return sim;
}

function prefix(): string {
  const p = freshPrefix('t');
  cleanups.push(async () => {
    const redis = new Redis(inject('redisUrl'));
    await deleteByPrefix(redis, p);
    redis.disconnect();
  });
  return p;
}

function track(p: RunningProcess): RunningProcess {
  cleanups.push(() => {
    p.killGroup();
    return p.exited;
  });
  return p;
}

test('npm run start:worker and npm run start:api run as real processes, answer, and stop cleanly on SIGTERM', async () => {
  const sim = await simulator();
  const key = fakeKey();
  const env = {
    OPENROUTER_API_KEYS: key,
    OPENROUTER_BASE_URL: sim.url,
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: prefix(),
    HOST: '127.0.0.1',
    PORT: '0',
    KEY_MIN_INTERVAL_MS: '0',
    HOME: process.env.HOME ?? tmpdir(),
  };
  const worker = track(runCommand('npm', ['run', '--silent', 'start:worker'], env, REPO_ROOT));
  await worker.waitForLog('key workers started', 30_000);
  const api = track(runCommand('npm', ['run', '--silent', 'start:api'], env, REPO_ROOT));
  const url = String((await api.waitForLog('api listening', 30_000)).url);

  const res = await chat(url, 'through npm');
  expect(res.status).toBe(200);
  expect(answerOf(res.body)).toBe('echo: through npm');
  expect((await sim.records()).filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.key)).toEqual([key]);

  // npm passes SIGTERM on to the node process, which drains and exits: its output closes.
  for (const p of [api, worker]) {
    await p.stop('SIGTERM');
    await waitFor(() => p.child.stdout?.closed, 'the node process under npm to exit', 20_000);
    expect(p.output()).toContain('"msg":"shutting down"');
  }
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
});

test('.env in the working directory is read; the real environment wins over it', async () => {
  const sim = await simulator();
  const key = fakeKey();
  const dir = await mkdtemp(join(tmpdir(), 'ork-dotenv-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const dotenv = [
    `OPENROUTER_API_KEYS=${key}`,
    `OPENROUTER_BASE_URL=${sim.url}`,
    `REDIS_URL=${inject('redisUrl')}`,
    `REDIS_PREFIX=${prefix()}`,
    'HOST=127.0.0.1',
    'PORT=0',
    'KEY_MIN_INTERVAL_MS=0',
    'KEY_REQUESTS_PER_DAY=7',
  ].join('\n');
  await writeFile(join(dir, '.env'), `${dotenv}\n`);
  // Only PATH and one variable that .env also sets: everything else must come from the file.
  const app = track(runProcess(ALL_IN_ONE_MAIN, { KEY_REQUESTS_PER_DAY: '9' }, dir));
  const url = String((await app.waitForLog('api listening', 30_000)).url);

  expect(answerOf((await chat(url, 'from dotenv')).body)).toBe('echo: from dotenv');
  expect((await sim.records()).filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.key)).toEqual([key]);
  const status = await readStatus(url);
  expect(status.keys.map((k) => k.limits.perDay)).toEqual([9]);
  await app.stop('SIGTERM');
});
