import { createHash, randomBytes } from 'node:crypto';

/** Every client key starts with this, so a leaked one is recognisable (and never an OpenRouter key). */
export const CLIENT_KEY_PREFIX = 'sk-ork-';

const CLIENT_KEY = /^sk-ork-[A-Za-z0-9_-]{43}$/;
const CLIENT_KEY_ID = /^ck_[0-9a-f]{16}$/;

/** A new client key: 256 random bits, base64url. */
export function generateClientKey(): string {
  return `${CLIENT_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** A new id, unrelated to the key, so listing ids reveals nothing about keys. */
export function generateClientKeyId(): string {
  return `ck_${randomBytes(8).toString('hex')}`;
}

export function isWellFormedClientKey(value: string): boolean {
  return CLIENT_KEY.test(value);
}

export function isClientKeyId(value: string): boolean {
  return CLIENT_KEY_ID.test(value);
}

/**
 * What is stored and looked up. The key holds 256 random bits, so a plain SHA-256 cannot be
 * brute-forced; lookups by this hash make the check independent of how much of a guess is right.
 */
export function hashClientKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** `sk-ork-ab…wxyz`: enough to recognise a key, never enough to use it. */
export function maskClientKey(key: string): string {
  const rest = key.slice(CLIENT_KEY_PREFIX.length);
  return `${CLIENT_KEY_PREFIX}${rest.slice(0, 2)}…${rest.slice(-4)}`;
}
