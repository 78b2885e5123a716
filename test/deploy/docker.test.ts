import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../../libs/shared/src/config/config-schema.js';
import { builtFrom, parseDockerfile, repoPath, type Stage } from './deploy-files.js';

// No Docker engine here: these checks read the files instead of building and running them.
interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  container_name?: string;
  stop_grace_period?: string;
  volumes?: string[];
}

const compose = parse(readFileSync(repoPath('docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };
const { redis, api, worker } = compose.services;
const knownVariables = new Set(Object.keys(configSchema.shape));

describe('docker-compose.yml', () => {
  test('Redis keeps its data (AOF on a volume), never evicts, and reports healthy', () => {
    expect(redis?.image).toMatch(/^redis:7/);
    const command = redis?.command?.join(' ') ?? '';
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
    expect(redis?.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
    expect(redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    // Published to the host's loopback only: Redis must never face the network.
    for (const port of redis?.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  test('the API and the worker run the built entry points against the redis service, once it is healthy', () => {
    expect(api?.command).toEqual(['node', 'apps/api/dist/main.js']);
    expect(worker?.command).toEqual(['node', 'apps/worker/dist/main.js']);
    for (const service of [api, worker]) {
      expect(service?.build).toBe('.');
      expect(existsSync(repoPath(builtFrom(service?.command?.[1] ?? '')))).toBe(true);
      expect(service?.environment?.REDIS_URL).toBe('redis://redis:6379');
      expect(service?.depends_on?.redis?.condition).toBe('service_healthy');
      for (const name of Object.keys(service?.environment ?? {})) expect(knownVariables).toContain(name);
    }
  });

  test('the API listens on 3000 and its health check asks /readyz on that port', () => {
    expect(api?.environment?.PORT).toBe('3000');
    expect(api?.environment?.HOST).toBe('0.0.0.0');
    expect(api?.ports).toContain('3000:3000');
    expect(api?.healthcheck?.test?.join(' ')).toContain('http://127.0.0.1:3000/readyz');
  });

  test('the worker scales with --scale worker=N: no fixed name or port, no HTTP check, time to drain', () => {
    expect(worker?.container_name).toBeUndefined();
    expect(worker?.ports).toBeUndefined();
    expect(worker?.healthcheck?.disable).toBe(true);
    // Longer than SHUTDOWN_TIMEOUT_MS's default (30 s), so SIGTERM can finish active requests.
    expect(Number.parseInt(worker?.stop_grace_period ?? '0', 10)).toBeGreaterThan(30);
  });
});

describe('Dockerfile', () => {
  const stages = parseDockerfile(readFileSync(repoPath('Dockerfile'), 'utf8'));
  const stage = (name: string): Stage => {
    const found = stages.find((s) => s.name === name);
    if (!found) throw new Error(`no stage ${name}`);
    return found;
  };
  const ignored = readFileSync(repoPath('.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  const workspaces = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { workspaces: string[] }).workspaces;

  test('two stages, build then runtime, on Node 20', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    for (const s of stages) expect(s.from).toMatch(/^node:20/);
    expect(stage('build').instructions.some((i) => i.op === 'RUN' && i.args.includes('tsc -b'))).toBe(true);
  });

  test('the runtime stage has production dependencies only, the compiled output and the Lua scripts, and runs as non-root', () => {
    const runtime = stage('runtime');
    const runs = runtime.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs.some((r) => r.includes('npm ci') && r.includes('--omit=dev'))).toBe(true);
    const copiedFromBuild = runtime.instructions.filter((i) => i.op === 'COPY' && i.args.startsWith('--from=build'));
    expect(copiedFromBuild.map((i) => i.args)).toContain('--from=build /app/libs/shared/lua libs/shared/lua');
    for (const dir of ['libs/shared', 'apps/api', 'apps/worker']) {
      expect(copiedFromBuild.some((i) => i.args.includes(`/app/${dir}/dist`))).toBe(true);
    }
    const user = runtime.instructions.filter((i) => i.op === 'USER').at(-1);
    expect(user?.args).toBeDefined();
    expect(['root', '0']).not.toContain(user?.args);
    // USER comes before CMD, so the service itself is not root.
    expect(runtime.instructions.indexOf(user!)).toBeLessThan(runtime.instructions.findIndex((i) => i.op === 'CMD'));
    expect(runtime.instructions.find((i) => i.op === 'ENV')?.args).toContain('NODE_ENV=production');
  });

  test('every workspace manifest is copied before npm ci, in both stages', () => {
    for (const s of stages) {
      const npmCi = s.instructions.findIndex((i) => i.op === 'RUN' && i.args.includes('npm ci'));
      const copies = s.instructions.slice(0, npmCi).filter((i) => i.op === 'COPY').map((i) => i.args);
      for (const ws of workspaces) expect(copies.some((c) => c.startsWith(`${ws}/package.json `))).toBe(true);
      expect(copies.some((c) => c.includes('package-lock.json'))).toBe(true);
    }
  });

  test('every COPY source exists in the repository (or is built from sources that do) and is not in .dockerignore', () => {
    for (const s of stages) {
      for (const i of s.instructions.filter((x) => x.op === 'COPY')) {
        const parts = i.args.split(/\s+/);
        const fromBuild = parts[0]?.startsWith('--from=');
        const sources = parts.filter((p) => !p.startsWith('--')).slice(0, -1);
        for (const source of sources) {
          const path = fromBuild ? source.replace(/^\/app\//, '') : source;
          const checked = path.endsWith('/dist') ? path.replace(/\/dist$/, '/tsconfig.json') : path;
          expect(existsSync(repoPath(checked)), `${i.args}: ${checked}`).toBe(true);
          if (!fromBuild) expect(ignored.filter((pattern) => pattern === path || pattern === `**/${path}`)).toEqual([]);
        }
      }
    }
  });

  test('it runs `npm start` (all-in-one), exposes 3000, and checks /healthz', () => {
    const runtime = stage('runtime');
    const cmd = JSON.parse(runtime.instructions.find((i) => i.op === 'CMD')?.args ?? '[]') as string[];
    expect(cmd).toEqual(['node', 'apps/api/dist/all-in-one.js']);
    expect(existsSync(repoPath(builtFrom(cmd[1]!)))).toBe(true);
    expect(runtime.instructions.find((i) => i.op === 'EXPOSE')?.args).toBe('3000');
    const healthcheck = runtime.instructions.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    expect(healthcheck).toContain('/healthz');
    expect(healthcheck).toContain('process.env.PORT');
  });
});
