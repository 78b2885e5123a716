import { ConfigError, parseConfig } from '@ork/shared';
import { fakeKey, startStack, type Stack, type StackOptions } from './stack.js';

/** A stack with API_KEY_AUTH_ENABLED=true and one issued client key, or why this build cannot make one. */
export type KeyedStack = { stack: Stack; key: string; skipReason?: undefined } | { stack?: undefined; key?: undefined; skipReason: string };

/**
 * Starts a stack that requires client keys and issues one through `POST /api/keys`. While
 * client keys are not built, start-up refusing the setting or a 404 from `POST /api/keys` is
 * reported as a skip reason (tests call `ctx.skip(reason)`); anything else is a real failure.
 */
export async function startKeyedStack(options: StackOptions = {}): Promise<KeyedStack> {
  const env = { ...options.env, API_KEY_AUTH_ENABLED: 'true' };
  let stack: Stack;
  try {
    // Checked first: startStack parses the config only after spawning the simulator.
    parseConfig({ OPENROUTER_API_KEYS: fakeKey(), ...env });
    stack = await startStack({ ...options, env });
  } catch (err) {
    // Only a refusal that names the setting is a skip; any other bad configuration is a failure.
    const refused = err instanceof ConfigError && err.message.includes('API_KEY_AUTH_ENABLED');
    if (!refused) throw err;
    return { skipReason: `client keys not built yet: start-up refuses API_KEY_AUTH_ENABLED=true (${err.message})` };
  }
  const res = await fetch(`${stack.url}/api/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'client compatibility test' }),
  });
  if (res.status === 404) {
    await stack.close();
    return { skipReason: 'client keys not built yet: POST /api/keys answers 404' };
  }
  if (res.status !== 201) {
    const text = await res.text();
    await stack.close();
    throw new Error(`POST /api/keys answered ${res.status}: ${text}`);
  }
  const { key } = (await res.json()) as { key: string };
  return { stack, key };
}
