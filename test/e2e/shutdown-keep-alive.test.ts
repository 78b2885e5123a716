import { Agent, fetch } from 'undici';
import { expect, test } from 'vitest';
import { waitFor } from '../support/client.js';
import { startStack } from '../support/stack.js';

/**
 * SDKs, n8n and fetch keep connections alive. While the API closes, a connection whose request
 * is in flight must be dropped once that request is answered, not linger until the client's
 * keep-alive ends, or SIGTERM would wait out SHUTDOWN_TIMEOUT_MS.
 */
test('closing the API with a keep-alive request in flight finishes soon after that request is answered', async () => {
  const stack = await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0' } });
  const client = new Agent();
  try {
    await stack.sim.configure({ latencyMs: 800 });
    const answered = fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/echo:free', messages: [{ role: 'user', content: 'in flight at shutdown' }] }),
      dispatcher: client,
    }).then((r) => r.json());
    await waitFor(async () => (await stack.sim.records()).length === 1, 'the request upstream');
    const closing = stack.close();
    expect(await answered).toMatchObject({ choices: [{ message: { content: 'echo: in flight at shutdown' } }] });
    const closedSoon = await Promise.race([
      closing.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3_000).unref()),
    ]);
    expect(closedSoon).toBe(true);
  } finally {
    // Hanging up lets a close that is still waiting finish.
    await client.destroy();
    await stack.close();
  }
});
