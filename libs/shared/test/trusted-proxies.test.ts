import { describe, expect, test } from 'vitest';
import { parseConfig } from '../src/config/config.js';
import { TrustedProxies, isLoopbackAddress } from '../src/config/trusted-proxies.js';

const KEYS = 'sk-or-v1-aa11111111111111111111111111117f3c';

describe('TrustedProxies', () => {
  test('keywords, addresses and CIDRs, IPv4-mapped forms included', () => {
    const t = new TrustedProxies(['loopback', '10.1.2.0/24', '2001:db8::1']);
    expect(t.has('127.0.0.1')).toBe(true);
    expect(t.has('127.200.0.9')).toBe(true);
    expect(t.has('::1')).toBe(true);
    expect(t.has('::ffff:127.0.0.1')).toBe(true);
    expect(t.has('10.1.2.77')).toBe(true);
    expect(t.has('::ffff:10.1.2.77')).toBe(true);
    expect(t.has('10.1.3.1')).toBe(false);
    expect(t.has('2001:db8::1')).toBe(true);
    expect(t.has('2001:db8::2')).toBe(false);
    expect(t.has('not-an-ip')).toBe(false);
    expect(new TrustedProxies(['private']).has('172.20.0.5')).toBe(true);
    expect(new TrustedProxies(['private']).has('172.32.0.5')).toBe(false);
    expect(new TrustedProxies([]).none).toBe(true);
  });

  test.each(['foo', '10.0.0.0/33', '10.0.0.0/', '1.2.3.4/8/1', '::1/129'])('refuses %s', (entry) => {
    expect(() => new TrustedProxies([entry])).toThrow(entry);
  });

  test('loopback is all of 127.0.0.0/8 and ::1', () => {
    for (const a of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a)).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '0.0.0.0', '::', undefined]) expect(isLoopbackAddress(a)).toBe(false);
  });
});

describe('security configuration', () => {
  test('client keys can be turned on; TRUST_PROXY defaults to none', () => {
    const c = parseConfig({ OPENROUTER_API_KEYS: KEYS, API_KEY_AUTH_ENABLED: 'true' });
    expect(c.apiKeyAuthEnabled).toBe(true);
    expect(c.trustProxy).toEqual([]);
    expect(parseConfig({ OPENROUTER_API_KEYS: KEYS, TRUST_PROXY: 'false' }).trustProxy).toEqual([]);
    expect(parseConfig({ OPENROUTER_API_KEYS: KEYS, TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
    ]);
  });

  test.each(['true', 'proxy.example.com', '10.0.0.0/99'])('TRUST_PROXY=%s fails with one line naming it', (value) => {
    expect(() => parseConfig({ OPENROUTER_API_KEYS: KEYS, TRUST_PROXY: value })).toThrow(/^Invalid configuration: TRUST_PROXY /);
  });

  test('AUTH_ENABLED=true needs both a username and a password', () => {
    const base = { OPENROUTER_API_KEYS: KEYS, AUTH_ENABLED: 'true' };
    expect(() => parseConfig({ ...base, AUTH_USERNAME: 'admin' })).toThrow(/AUTH_PASSWORD/);
    expect(() => parseConfig({ ...base, AUTH_PASSWORD: 'pw' })).toThrow(/AUTH_USERNAME/);
    expect(parseConfig({ ...base, AUTH_USERNAME: 'admin', AUTH_PASSWORD: 'pw' }).adminAuth.enabled).toBe(true);
  });
});
