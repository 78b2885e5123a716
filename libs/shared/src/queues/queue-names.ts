/**
 * Per-key queue names. WARNING: renaming this scheme strands every job already queued
 * under the old names; a key's queue is named by its hash, never by the key.
 */
export function keyQueueName(keyId: string): string {
  return `key-${keyId}`;
}
