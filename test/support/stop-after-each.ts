import { afterEach } from 'vitest';

/** What a test starts and must stop: a stack or key queues (`close`), a private Redis (`kill`). */
export type Stoppable = { close(): Promise<unknown> } | { kill(): Promise<unknown> };

/**
 * Registers one afterEach that stops, last started first, everything the test passed to the
 * returned function (so a stack closes before the private Redis it runs on is killed).
 */
export function stopAfterEach(): <T extends Stoppable>(resource: T) => T {
  const started: Stoppable[] = [];
  afterEach(async () => {
    for (let r = started.pop(); r !== undefined; r = started.pop()) await ('close' in r ? r.close() : r.kill());
  });
  return (resource) => {
    started.push(resource);
    return resource;
  };
}
