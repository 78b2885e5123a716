import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, test } from 'vitest';
import { TrustedProxies } from '@ork/shared';
import { basicCredentials, credentialsMatch } from '../src/admin/basic-credentials.js';
import { decideLocalCaller } from '../src/admin/local-caller.js';

const none = new TrustedProxies([]);
const loopbackProxy = new TrustedProxies(['loopback']);
const renderLike = new TrustedProxies(['private']);
const local = (peer: string | undefined, headers: IncomingHttpHeaders, trusted = none): boolean =>
  decideLocalCaller(peer, headers, trusted).local;

describe('who counts as a local admin caller (AUTH_ENABLED=false)', () => {
  test('without proxy headers: the socket address decides, all of 127.0.0.0/8 and ::1 being loopback', () => {
    expect(local('127.0.0.1', {})).toBe(true);
    expect(local('127.0.0.2', {})).toBe(true);
    expect(local('::1', {})).toBe(true);
    expect(local('::ffff:127.0.0.1', {})).toBe(true);
    expect(local('192.168.1.20', {})).toBe(false);
    expect(local('::ffff:203.0.113.9', {})).toBe(false);
    expect(local(undefined, {})).toBe(false);
  });

  test('by default any proxy header makes a loopback peer remote: a local reverse proxy relays everyone', () => {
    expect(local('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })).toBe(false);
    expect(local('127.0.0.1', { 'x-forwarded-for': '127.0.0.1' })).toBe(false);
    expect(local('127.0.0.1', { forwarded: 'for=203.0.113.9' })).toBe(false);
    expect(local('127.0.0.1', { 'x-real-ip': '203.0.113.9' })).toBe(false);
    expect(decideLocalCaller('127.0.0.1', { 'x-forwarded-for': '1.2.3.4' }, none)).toEqual({
      local: false,
      reason: 'forwarded by 127.0.0.1, which TRUST_PROXY does not name',
    });
  });

  test('from a trusted proxy, the first untrusted hop from the right is the caller', () => {
    expect(local('127.0.0.1', { 'x-forwarded-for': '127.0.0.1' }, loopbackProxy)).toBe(true);
    expect(local('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }, loopbackProxy)).toBe(false);
    // A client that forges "127.0.0.1" is still seen by the proxy, which appends its real address.
    expect(local('127.0.0.1', { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' }, loopbackProxy)).toBe(false);
    // Two trusted hops (loopback proxy behind loopback proxy) in front of a local caller.
    expect(local('127.0.0.1', { 'x-forwarded-for': '::1, 127.0.0.3' }, loopbackProxy)).toBe(true);
    expect(decideLocalCaller('127.0.0.1', { 'x-forwarded-for': '198.51.100.4, 127.0.0.1' }, loopbackProxy)).toEqual({
      local: false,
      reason: 'the caller 198.51.100.4 is not loopback',
    });
  });

  test('a hosting platform proxy (private range) never makes an internet caller local', () => {
    expect(local('10.4.0.7', { 'x-forwarded-for': '203.0.113.9' }, renderLike)).toBe(false);
    expect(local('10.4.0.7', { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' }, renderLike)).toBe(false);
    expect(local('10.4.0.7', {}, renderLike)).toBe(false);
  });

  test('a trusted proxy on another machine cannot vouch for a loopback caller (issue 12, finding 2)', () => {
    expect(decideLocalCaller('10.4.0.7', { 'x-forwarded-for': '127.0.0.1' }, renderLike)).toEqual({
      local: false,
      reason: '10.4.0.7 reported a loopback caller, which only a proxy on this machine can',
    });
    expect(local('10.4.0.7', { 'x-forwarded-for': '::1' }, new TrustedProxies(['10.4.0.7']))).toBe(false);
    // A remote trusted hop behind a local proxy cannot either.
    expect(local('127.0.0.1', { 'x-forwarded-for': '127.0.0.1, 10.4.0.7' }, new TrustedProxies(['loopback', 'private']))).toBe(false);
  });

  test('an untrusted peer cannot vouch for anyone, and unreadable headers count as remote', () => {
    expect(local('127.0.0.2', { 'x-forwarded-for': '127.0.0.1' }, new TrustedProxies(['127.0.0.1']))).toBe(false);
    expect(local('127.0.0.1', { 'x-forwarded-for': 'unknown' }, loopbackProxy)).toBe(false);
    expect(local('127.0.0.1', { 'x-forwarded-for': '127.0.0.1:5555' }, loopbackProxy)).toBe(false);
    expect(local('127.0.0.1', { 'x-forwarded-for': '' }, loopbackProxy)).toBe(false);
    expect(local('127.0.0.1', { 'x-real-ip': '127.0.0.1' }, loopbackProxy)).toBe(false);
  });
});

describe('Basic credentials', () => {
  const header = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;

  test('parses user:pass (the password may hold colons and any UTF-8)', () => {
    expect(basicCredentials(header('admin:p:ä ss'))).toEqual({ user: 'admin', pass: 'p:ä ss' });
    expect(basicCredentials(`basic ${Buffer.from('a:b').toString('base64')}`)).toEqual({ user: 'a', pass: 'b' });
  });

  test.each([undefined, '', 'Bearer sk-ork-abc', 'Basic', 'Basic !!!', header('no-colon')])('%s is no credentials', (h) => {
    expect(basicCredentials(h)).toBeUndefined();
  });

  test('both parts must match exactly', () => {
    expect(credentialsMatch({ user: 'admin', pass: 'pw' }, 'admin', 'pw')).toBe(true);
    expect(credentialsMatch({ user: 'admin', pass: 'pw ' }, 'admin', 'pw')).toBe(false);
    expect(credentialsMatch({ user: 'Admin', pass: 'pw' }, 'admin', 'pw')).toBe(false);
    expect(credentialsMatch({ user: 'pw', pass: 'admin' }, 'admin', 'pw')).toBe(false);
    expect(credentialsMatch(undefined, 'admin', 'pw')).toBe(false);
  });
});
