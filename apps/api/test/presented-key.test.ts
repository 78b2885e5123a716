import { describe, expect, test } from 'vitest';
import { generateClientKey } from '@ork/shared';
import { presentedKey } from '../src/client-keys/presented-key.js';

const key = generateClientKey();
const other = generateClientKey();

describe('where a client key is read from', () => {
  test.each([
    ['X-API-Key', { 'x-api-key': key }, {}],
    ['Authorization: Bearer', { authorization: `Bearer ${key}` }, {}],
    ['?api_key=', {}, { api_key: key }],
  ])('%s', (_how, headers, query) => {
    expect(presentedKey(headers, query)).toEqual({ kind: 'key', key });
  });

  test('nothing presented is missing', () => {
    expect(presentedKey({}, {})).toEqual({ kind: 'missing' });
  });

  test.each([
    ['a wrong shape', { 'x-api-key': 'sk-ork-short' }, {}],
    ['an OpenRouter key', { authorization: 'Bearer sk-or-v1-0123456789abcdef' }, {}],
    ['Basic admin credentials', { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` }, {}],
    ['a repeated query parameter', {}, { api_key: [key, key] }],
  ])('%s is malformed', (_what, headers, query) => {
    expect(presentedKey(headers, query)).toEqual({ kind: 'malformed' });
  });

  test("the first well-formed key wins, so an SDK's placeholder Bearer does not hide a real one", () => {
    expect(presentedKey({ authorization: 'Bearer unused' }, { api_key: key })).toEqual({ kind: 'key', key });
    expect(presentedKey({ 'x-api-key': key, authorization: `Bearer ${other}` }, {})).toEqual({ kind: 'key', key });
  });
});
