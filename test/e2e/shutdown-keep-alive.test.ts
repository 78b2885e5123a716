import { Agent, fetch } from 'undici';
import { expect, test } from 'vitest';
import { waitFor } from '../support/client.js';
import { startStack } from '../support/stack.js';

/**
 * KNOWN GATEWAY BUG (reported to the lead; remove `.fails` once fixed). SDKs, n8n and fetch keep
 * connections alive. When the API closes while a request is in flight, `server.close()` closes the
 * connections idle at that moment only; the in-flight one turns idle once answered and stays open
 * until the client's keep-alive ends (~64 s with the `keep-alive: timeout=65` we announce). So
 * SIGTERM waits out SHUTDOWN_TIMEOUT_MS and skips closing the reply reader, queues and Redis.
 */
test.fails('closing the API with a keep-alive request in flight finishes soon after that request is answered', async () => {
  const stack = await startStack({ keys: 1, env: { KEY_MIN_INTERVAL_MS: '0' } });
  const client = new Agent();
  try {
    await stack.sim.configure({ latencyMs: 800 });
    const answered = fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'in flight at shutdown' }] }),
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
