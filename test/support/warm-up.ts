import { fakeKey } from './fake-keys.js';

/**
 * A cold fake OpenRouter answers its first requests slowly (lazy compilation) and so stamps their
 * arrival late, which makes the next gap on that key look shorter than it was. A few throwaway
 * requests on a key of their own, then a reset, keep spacing figures honest.
 */
export async function warmUpSimulator(sim: { url: string; reset(): Promise<void> }): Promise<void> {
  const key = fakeKey();
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      fetch(`${sim.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: 'warm-up', stream: i % 2 === 0, messages: [{ role: 'user', content: 'warm up' }] }),
      }).then((r) => r.text()),
    ),
  );
  await sim.reset();
}
