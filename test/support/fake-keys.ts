import { randomBytes } from 'node:crypto';

/** A key shaped like a real OpenRouter key, made up for one test, benchmark or demo run. */
export function fakeKey(): string {
  return `sk-or-v1-${randomBytes(32).toString('hex')}`;
}
