import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '@ork/shared';
import { configSchema } from '../../libs/shared/src/config/config-schema.js';
import { builtFrom, repoPath } from './deploy-files.js';

// Field names as in Render's Blueprint reference (render.com/docs/blueprint-spec); nothing here talks to Render.
interface EnvVar {
  key?: string;
  value?: string;
  sync?: boolean;
  generateValue?: boolean;
  fromService?: { type: string; name: string; property?: string; envVarKey?: string };
  fromGroup?: string;
}
interface Service {
  type: string;
  name: string;
  runtime?: string;
  plan?: string;
  buildCommand?: string;
  startCommand?: string;
  healthCheckPath?: string;
  maxmemoryPolicy?: string;
  ipAllowList?: unknown[];
  envVars?: EnvVar[];
}
interface Blueprint {
  services: Service[];
  envVarGroups?: { name: string; envVars: EnvVar[] }[];
}

const blueprint = parse(readFileSync(repoPath('render.yaml'), 'utf8')) as Blueprint;
const scripts = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const byType = (type: string): Service => {
  const found = blueprint.services.filter((s) => s.type === type);
  expect(found, `one service of type ${type}`).toHaveLength(1);
  return found[0]!;
};
const web = byType('web');
const worker = byType('worker');
const keyValue = byType('keyvalue');
const env = (service: Service, key: string): EnvVar | undefined => service.envVars?.find((e) => e.key === key);

/** The environment a service would start with, secrets and Render-provided values filled with stand-ins. */
function environmentOf(service: Service): Record<string, string> {
  const out: Record<string, string> = { PORT: '10000' };
  for (const e of service.envVars ?? []) {
    if (e.fromGroup !== undefined) {
      const group = blueprint.envVarGroups?.find((g) => g.name === e.fromGroup);
      for (const g of group?.envVars ?? []) if (g.key && g.value !== undefined) out[g.key] = g.value;
      continue;
    }
    if (!e.key) continue;
    if (e.value !== undefined) out[e.key] = e.value;
    else if (e.generateValue) out[e.key] = 'generated-by-render';
    else if (e.key === 'REDIS_URL') out[e.key] = 'redis://red-example:6379';
    else out[e.key] = 'sk-or-v1-entered-in-the-dashboard';
  }
  return out;
}

describe('render.yaml', () => {
  test('the web service builds with npm ci (whose prepare step builds) and runs npm run start:api, checked on /healthz', () => {
    expect(web.runtime).toBe('node');
    expect(web.buildCommand).toMatch(/^npm ci\b/);
    expect(scripts.prepare).toBe('npm run build');
    expect(web.startCommand).toBe('npm run start:api');
    expect(web.healthCheckPath).toBe('/healthz');
  });

  test('the background worker runs npm run start:worker', () => {
    expect(worker.runtime).toBe('node');
    expect(worker.buildCommand).toBe(web.buildCommand);
    expect(worker.startCommand).toBe('npm run start:worker');
  });

  test('the npm scripts they start exist and run built entry points whose sources exist', () => {
    for (const command of [web.startCommand, worker.startCommand]) {
      const script = scripts[command?.replace('npm run ', '') ?? ''];
      // `exec` so that npm's SIGTERM reaches node (test/e2e/entry-points.test.ts).
      const entry = /^(?:exec )?node (\S+)$/.exec(script ?? '')?.[1];
      expect(entry, `${command} → ${script}`).toBeDefined();
      expect(existsSync(repoPath(builtFrom(entry!)))).toBe(true);
    }
  });

  test('Key Value never evicts and is closed to the internet', () => {
    expect(keyValue.maxmemoryPolicy).toBe('noeviction');
    expect(keyValue.ipAllowList).toEqual([]);
  });

  test('both halves reach the Key Value instance through its connection string, and read the same limits', () => {
    for (const service of [web, worker]) {
      expect(env(service, 'REDIS_URL')?.fromService).toEqual({ type: 'keyvalue', name: keyValue.name, property: 'connectionString' });
      expect(service.envVars?.some((e) => e.fromGroup === 'ork-limits')).toBe(true);
    }
    const groupKeys = blueprint.envVarGroups?.find((g) => g.name === 'ork-limits')?.envVars.map((e) => e.key);
    expect(groupKeys).toEqual(expect.arrayContaining(['KEY_MIN_INTERVAL_MS', 'KEY_REQUESTS_PER_MINUTE', 'KEY_REQUESTS_PER_DAY']));
  });

  test('secrets are asked for or generated, never committed; the public host has both kinds of auth on', () => {
    expect(env(web, 'OPENROUTER_API_KEYS')).toEqual({ key: 'OPENROUTER_API_KEYS', sync: false });
    expect(env(worker, 'OPENROUTER_API_KEYS')?.fromService).toEqual({ type: 'web', name: web.name, envVarKey: 'OPENROUTER_API_KEYS' });
    expect(env(web, 'AUTH_ENABLED')?.value).toBe('true');
    expect(env(web, 'AUTH_USERNAME')?.value).toBeTruthy();
    expect(env(web, 'AUTH_PASSWORD')).toEqual({ key: 'AUTH_PASSWORD', generateValue: true });
    expect(env(web, 'API_KEY_AUTH_ENABLED')?.value).toBe('true');
    expect(env(web, 'HOST')?.value).toBe('0.0.0.0');
    // Render chooses the port and sets PORT itself.
    expect(env(web, 'PORT')).toBeUndefined();
  });

  test('every variable is one the service knows, and each service starts with a valid configuration', () => {
    const known = new Set([...Object.keys(configSchema.shape), 'NODE_VERSION']);
    const keys = [...blueprint.services.flatMap((s) => s.envVars ?? []), ...(blueprint.envVarGroups ?? []).flatMap((g) => g.envVars)]
      .map((e) => e.key)
      .filter((k): k is string => k !== undefined);
    for (const key of keys) expect(known, key).toContain(key);
    for (const service of [web, worker]) expect(() => parseConfig(environmentOf(service))).not.toThrow();
  });
});
