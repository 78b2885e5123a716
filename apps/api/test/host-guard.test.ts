import { describe, expect, test } from 'vitest';
import { parseConfig } from '@ork/shared';
import { hostName, isAllowedHost } from '../src/middleware/host-guard.js';
import { corsRule, exposureWarning } from '../src/http/exposure.js';

const KEYS = 'sk-or-v1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

describe('Host allow-list (DNS rebinding)', () => {
  test('IP addresses and localhost always pass; names only when listed', () => {
    for (const host of ['127.0.0.1:3000', '10.214.0.1', '[::1]:3000', 'localhost:3000', 'app.localhost', undefined]) {
      expect(isAllowedHost(host, [])).toBe(true);
    }
    expect(isAllowedHost('rebind.attacker.example:3000', [])).toBe(false);
    expect(isAllowedHost('gateway:3000', [])).toBe(false);
    expect(isAllowedHost('gateway:3000', ['gateway'])).toBe(true);
    expect(isAllowedHost('API.Example.com.', ['api.example.com'])).toBe(true);
    expect(isAllowedHost('a.example.com', ['*.example.com'])).toBe(true);
    expect(isAllowedHost('example.com', ['*.example.com'])).toBe(false);
    expect(isAllowedHost('anything', ['*'])).toBe(true);
    expect(isAllowedHost('a b', [])).toBe(false);
    expect(hostName('[::1]:80')).toBe('::1');
  });

  test('ALLOWED_HOSTS takes names only, with one clear line otherwise', () => {
    expect(parseConfig({ OPENROUTER_API_KEYS: KEYS, ALLOWED_HOSTS: 'Gateway, *.example.com' }).allowedHosts).toEqual(['gateway', '*.example.com']);
    expect(() => parseConfig({ OPENROUTER_API_KEYS: KEYS, ALLOWED_HOSTS: 'http://x.example' })).toThrow(/^Invalid configuration: ALLOWED_HOSTS /);
  });
});

describe('CORS default and the exposure warning', () => {
  test('CORS_ORIGINS unset: any origin only when client keys are required', () => {
    const open = parseConfig({ OPENROUTER_API_KEYS: KEYS });
    expect(open.corsOrigins).toEqual([]);
    expect(corsRule(open)).toMatch(/^no cross-origin browser caller/);
    const keyed = parseConfig({ OPENROUTER_API_KEYS: KEYS, API_KEY_AUTH_ENABLED: 'true' });
    expect(keyed.corsOrigins).toEqual(['*']);
    expect(parseConfig({ OPENROUTER_API_KEYS: KEYS, CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    expect(parseConfig({ OPENROUTER_API_KEYS: KEYS, CORS_ORIGINS: 'https://a.example' }).corsOrigins).toEqual(['https://a.example']);
  });

  test('warns when listening beyond loopback with neither client keys nor admin auth', () => {
    expect(exposureWarning(parseConfig({ OPENROUTER_API_KEYS: KEYS }))).toMatch(/^WARNING: listening on 0\.0\.0\.0/);
    expect(exposureWarning(parseConfig({ OPENROUTER_API_KEYS: KEYS, HOST: '127.0.0.1' }))).toBeUndefined();
    expect(exposureWarning(parseConfig({ OPENROUTER_API_KEYS: KEYS, HOST: 'localhost' }))).toBeUndefined();
    expect(exposureWarning(parseConfig({ OPENROUTER_API_KEYS: KEYS, API_KEY_AUTH_ENABLED: 'true' }))).toBeUndefined();
    expect(exposureWarning(parseConfig({ OPENROUTER_API_KEYS: KEYS, AUTH_ENABLED: 'true', AUTH_USERNAME: 'a', AUTH_PASSWORD: 'b' }))).toBeUndefined();
  });
});
