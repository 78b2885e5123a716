import { describe, expect, test } from 'vitest';
import { parseConfig, parseRedisTarget } from '../src/config/config.js';
import { maskKey, upstreamKeyId } from '../src/keys/upstream-key.js';
import { ConfigError } from '../src/errors/config-error.js';

const KEYS = 'sk-or-v1-aa11111111111111111111111111117f3c';

describe('parseConfig', () => {
  test('applies the contract defaults', () => {
    const c = parseConfig({ OPENROUTER_API_KEYS: KEYS });
    expect(c).toMatchObject({
      upstreamBaseUrl: 'https://openrouter.ai/api/v1',
      port: 3000,
      host: '0.0.0.0',
      redisUrl: 'redis://127.0.0.1:6379',
      limits: { minIntervalMs: 5000, perMinute: 20, perDay: 200 },
      queueTimeoutMs: 600_000,
      apiKeyAuthEnabled: false,
      adminAuth: { enabled: false },
      corsOrigins: [],
      corsDefaulted: true,
      allowedHosts: [],
      logLevel: 'info',
    });
  });

  test('ignores blank and duplicate keys', () => {
    const c = parseConfig({ OPENROUTER_API_KEYS: ` ${KEYS}, ,${KEYS},sk-or-v1-other ` });
    expect(c.upstreamKeys).toEqual([KEYS, 'sk-or-v1-other']);
  });

  test.each([
    [{}, 'OPENROUTER_API_KEYS'],
    [{ OPENROUTER_API_KEYS: KEYS, KEY_MIN_INTERVAL_MS: '-1' }, 'KEY_MIN_INTERVAL_MS'],
    [{ OPENROUTER_API_KEYS: KEYS, QUEUE_TIMEOUT_MS: '0' }, 'QUEUE_TIMEOUT_MS'],
    [{ OPENROUTER_API_KEYS: KEYS, AUTH_ENABLED: 'true' }, 'AUTH_USERNAME'],
    [{ OPENROUTER_API_KEYS: KEYS, AUTH_ENABLED: 'maybe' }, 'AUTH_ENABLED'],
    [{ OPENROUTER_API_KEYS: KEYS, OPENROUTER_BASE_URL: 'not a url' }, 'OPENROUTER_BASE_URL'],
    [{ OPENROUTER_API_KEYS: KEYS, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('%j fails with one line naming %s', (env, variable) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });
});

describe('where Redis comes from', () => {
  test.each([
    [{}, { redisUrl: 'redis://127.0.0.1:6379', redisUrlGiven: false }],
    [{ REDIS_URL: '' }, { redisUrl: 'redis://127.0.0.1:6379', redisUrlGiven: false }],
    [{ REDIS_DEFAULT_PORT: '6390' }, { redisUrl: 'redis://127.0.0.1:6390', redisUrlGiven: false }],
    // REDIS_URL wins: the default port never moves a Redis the user named.
    [{ REDIS_URL: 'redis://r:6379', REDIS_DEFAULT_PORT: '6390' }, { redisUrl: 'redis://r:6379', redisUrlGiven: true }],
    [{ REDIS_URL: 'redis://127.0.0.1:6379' }, { redisUrl: 'redis://127.0.0.1:6379', redisUrlGiven: true }],
  ])('%j -> %j, alone and in the whole config', (env, target) => {
    expect(parseRedisTarget(env)).toEqual(target);
    expect(parseConfig({ OPENROUTER_API_KEYS: KEYS, ...env })).toMatchObject(target);
  });

  test.each([
    [{ REDIS_DEFAULT_PORT: '0' }, 'REDIS_DEFAULT_PORT'],
    [{ REDIS_DEFAULT_PORT: 'redis://elsewhere:6379' }, 'REDIS_DEFAULT_PORT'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
  ])('%j fails with one line naming %s', (env, variable) => {
    expect(() => parseRedisTarget(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });
});

describe('upstream key identity', () => {
  test('masks as sk-or-v1-ab…last4 and names queues by a hash, never the key', () => {
    expect(maskKey(KEYS)).toBe('sk-or-v1-aa…7f3c');
    expect(upstreamKeyId(KEYS)).toMatch(/^[0-9a-f]{12}$/);
    expect(KEYS).not.toContain(upstreamKeyId(KEYS));
  });
});

describe('accounts configuration', () => {
  const A = 'sk-or-v1-aaaaaaaaaaaaaaaaaaaa1111';
  const B = 'sk-or-v1-bbbbbbbbbbbbbbbbbbbb2222';
  const C = 'sk-or-v1-cccccccccccccccccccc3333';
  const keys = [A, B, C].join(',');

  test('KEY_REQUESTS_PER_DAY counts as explicit only when set; spacing per key and no paid cap by default', () => {
    expect(parseConfig({ OPENROUTER_API_KEYS: keys }).limits).toMatchObject({ perDay: 200, perDayExplicit: false, spacingScope: 'key', paidPerMinute: 0 });
    expect(parseConfig({ OPENROUTER_API_KEYS: keys, KEY_REQUESTS_PER_DAY: '200' }).limits.perDayExplicit).toBe(true);
    expect(parseConfig({ OPENROUTER_API_KEYS: keys, KEY_MIN_INTERVAL_SCOPE: 'account' }).limits.spacingScope).toBe('account');
  });

  test('OPENROUTER_ACCOUNTS names keys by position or by their last characters', () => {
    const c = parseConfig({ OPENROUTER_API_KEYS: keys, OPENROUTER_ACCOUNTS: 'team-a=1,2222; solo=3333' });
    expect(c.declaredAccounts).toEqual([
      { name: 'team-a', upstreamKeys: [A, B] },
      { name: 'solo', upstreamKeys: [C] },
    ]);
    expect(parseConfig({ OPENROUTER_API_KEYS: keys }).declaredAccounts).toEqual([]);
  });

  test.each([
    ['team=4', /names key 4, but OPENROUTER_API_KEYS has 3/],
    ['team=abc', /position or the last 4\+ characters/],
    ['team=aaaa', /matches 0 keys/],
    ['a=1;b=1', /both "a" and "b"/],
    ['=1', /must be name=key,key/],
    ['a=1;a=2', /twice/],
  ])('OPENROUTER_ACCOUNTS=%s fails with one line', (value, message) => {
    expect(() => parseConfig({ OPENROUTER_API_KEYS: keys, OPENROUTER_ACCOUNTS: value })).toThrow(/^Invalid configuration: OPENROUTER_ACCOUNTS /);
    expect(() => parseConfig({ OPENROUTER_API_KEYS: keys, OPENROUTER_ACCOUNTS: value })).toThrow(message);
  });
});
