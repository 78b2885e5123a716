import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { DIRECT_ROUTES, ENDPOINTS, UPSTREAM_ENDPOINTS, streamErrorEvent } from '../src/index.js';

const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

/** The README's route table row for a route, found by its first cell. */
function row(method: string, route: string): string | undefined {
  return README.split('\n').find((line) => line.startsWith(`| \`${method} {prefix}/${route}`));
}

describe('the endpoint table', () => {
  test('the README route table says what the endpoint table says each route costs', () => {
    for (const endpoint of UPSTREAM_ENDPOINTS) {
      expect(ENDPOINTS[endpoint].quotaStarts).toBe(1);
      expect(row('POST', endpoint), endpoint).toMatch(/\| 1 request start/);
    }
    for (const route of DIRECT_ROUTES) {
      const line = row('GET', route) ?? README.split('\n').find((l) => l.includes(`\`GET {prefix}/${route}\``) && l.startsWith('|'));
      expect(line, route).toMatch(/\| none/);
    }
  });

  test('a broken chat stream ends with an error chunk; a Responses stream with an error event', () => {
    expect(streamErrorEvent('chat', { message: 'gone', code: 502 })).toBe('data: {"error":{"message":"gone","code":502}}\n\n');
    const text = streamErrorEvent('responses', { message: 'gone', code: 502 }, 7);
    const [eventLine, dataLine] = text.split('\n');
    expect(eventLine).toBe('event: error');
    expect(JSON.parse(dataLine?.slice(6) ?? '')).toEqual({
      type: 'error',
      sequence_number: 7,
      error: { type: 'server_error', code: '502', message: 'gone', param: null },
      code: '502',
      message: 'gone',
      param: null,
    });
    expect(text.endsWith('\n\n')).toBe(true);
  });
});
