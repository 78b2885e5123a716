import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, redisAnswers } from '@ork/shared';
import { spawnSimulator } from '@ork/simulator';
import { chat, waitFor } from '../support/client.js';
import { ALL_IN_ONE_MAIN, API_MAIN, WORKER_MAIN, runProcess, type RunningProcess } from '../support/processes.js';
import { fakeKey } from '../support/stack.js';
import { issueKey } from './admin-helpers.js';

// REDIS_URL is never set here: the default address is moved to a port where nothing answers, so
// the machine's own Redis on 6379 is not found and the service must bring its own.
type Sim = Awaited<ReturnType<typeof spawnSimulator>>;
let sim: Sim;
let folder: string;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await spawnSimulator();
  const defaultPort = await freePort();
  expect(await redisAnswers(`redis://127.0.0.1:${defaultPort}`)).toBe(false);
  env = {
    OPENROUTER_API_KEYS: `${fakeKey()},${fakeKey()}`,
    OPENROUTER_BASE_URL: sim.url,
    REDIS_DEFAULT_PORT: String(defaultPort),
    HOST: '127.0.0.1',
    PORT: '0',
    KEY_MIN_INTERVAL_MS: '0',
    API_KEY_AUTH_ENABLED: 'true',
  };
});
afterAll(async () => {
  await sim?.close();
});

/** Each test runs the service from a folder of its own, whose data/redis is the embedded Redis's. */
function freshFolder(): string {
  folder = mkdtempSync(join(tmpdir(), 'ork-embedded-'));
  return folder;
}

function recorded(): { port: number; pid: number; users: number[] } {
  return JSON.parse(readFileSync(join(folder, 'data/redis/embedded.json'), 'utf8')) as { port: number; pid: number; users: number[] };
}

function runs(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie waiting for a reaper has stopped running.
  try {
    return !/\)\s+Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function started(p: RunningProcess): Promise<string> {
  const { url } = (await p.waitForLog('api listening')) as { url: string };
  await waitFor(() => /"source":"embedded"/.test(p.output()), 'the embedded-Redis log line');
  return url;
}

describe('with REDIS_URL unset and nothing at the default address', () => {
  test('npm start runs its own Redis, keeps its data across a restart, and stops it on SIGTERM', async () => {
    const cwd = freshFolder();
    const dataDir = join(cwd, 'data/redis');
    const first = runProcess(ALL_IN_ONE_MAIN, env, cwd);
    try {
      const url = await started(first);
      expect(first.output()).toContain(`"dataDir":"${dataDir}"`);
      expect(first.output()).toMatch(/embedded Redis at redis:\/\/127\.0\.0\.1:\d+, data in .*: started .*redis-server/);
      const { pid } = recorded();
      expect(runs(pid)).toBe(true);
      const clientKey = await issueKey(url, { name: 'survivor' });
      expect((await chat(url, 'first life', { headers: { 'x-api-key': clientKey.key } })).status).toBe(200);
      expect(await first.stop('SIGTERM')).toBe(0);
      expect(runs(pid)).toBe(false);

      const second = runProcess(ALL_IN_ONE_MAIN, env, cwd);
      try {
        const url2 = await started(second);
        const again = recorded();
        expect(again.pid).not.toBe(pid);
        // The key issued before the restart still opens the door: it came back from the append-only file.
        expect((await chat(url2, 'second life', { headers: { 'x-api-key': clientKey.key } })).status).toBe(200);
        const listed = (await (await fetch(`${url2}/api/keys`)).json()) as { data: { name: string }[] };
        expect(JSON.stringify(listed)).toContain('"survivor"');
        expect(await second.stop('SIGTERM')).toBe(0);
        expect(runs(again.pid)).toBe(false);
        expect(await redisAnswers(`redis://127.0.0.1:${again.port}`)).toBe(false);
      } finally {
        await second.stop('SIGKILL');
      }
    } finally {
      await first.stop('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('start:api and start:worker share one embedded Redis; it outlives its starter and stops with the last', async () => {
    const cwd = freshFolder();
    const api = runProcess(API_MAIN, env, cwd);
    let worker: RunningProcess | undefined;
    try {
      const url = await started(api);
      const { pid, port } = recorded();
      worker = runProcess(WORKER_MAIN, env, cwd);
      await worker.waitForLog('key workers started');
      await waitFor(() => /joined the running one/.test(worker?.output() ?? ''), 'the worker joining');
      expect(recorded()).toMatchObject({ pid, port, users: [api.child.pid, worker.child.pid] });
      const clientKey = await issueKey(url, { name: 'shared' });
      expect((await chat(url, 'through both', { headers: { 'x-api-key': clientKey.key } })).status).toBe(200);

      // The process that started Redis goes first: Redis stays for the worker still using it.
      expect(await api.stop('SIGTERM')).toBe(0);
      expect(runs(pid)).toBe(true);
      expect(recorded().users).toEqual([worker.child.pid]);
      // A new API process joins the same Redis and serves the same data.
      const api2 = runProcess(API_MAIN, env, cwd);
      try {
        const url2 = await started(api2);
        expect(api2.output()).toContain('joined the running one');
        expect((await chat(url2, 'after the starter left', { headers: { 'x-api-key': clientKey.key } })).status).toBe(200);
        expect(await api2.stop('SIGTERM')).toBe(0);
      } finally {
        await api2.stop('SIGKILL');
      }
      expect(runs(pid)).toBe(true);
      // The last one out stops it.
      expect(await worker.stop('SIGTERM')).toBe(0);
      expect(runs(pid)).toBe(false);
    } finally {
      await api.stop('SIGKILL');
      await worker?.stop('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('with no redis-server on the PATH, start-up fails with one line that says what to do', async () => {
    const cwd = freshFolder();
    // PATH without redis-server: the node binary is spawned by absolute path, so an empty PATH is enough.
    const p = runProcess(ALL_IN_ONE_MAIN, { ...env, PATH: '' }, cwd);
    try {
      expect(await p.exited).toBe(1);
      const lines = p.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^ork: No Redis answers at redis:\/\/127\.0\.0\.1:\d+ and no `redis-server` is on the PATH/);
      for (const hint of ['apt-get install redis-server', 'brew install redis', 'docker compose up -d redis', 'REDIS_URL']) {
        expect(lines[0]).toContain(hint);
      }
    } finally {
      await p.stop('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
