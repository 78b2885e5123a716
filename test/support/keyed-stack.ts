import { startStack, type Stack, type StackOptions } from './stack.js';

/** A stack with API_KEY_AUTH_ENABLED=true and one client key issued through `POST /api/keys`. */
export interface KeyedStack {
  stack: Stack;
  key: string;
}

/**
 * Starts a stack that requires client keys and issues one. Client keys are part of the contract,
 * so anything but a 201 (a 404 included) fails the suite that asked, never skips it.
 */
export async function startKeyedStack(options: StackOptions = {}): Promise<KeyedStack> {
  const stack = await startStack({ ...options, env: { ...options.env, API_KEY_AUTH_ENABLED: 'true' } });
  const res = await fetch(`${stack.url}/api/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'client compatibility test' }),
  });
  if (res.status !== 201) {
    const text = await res.text();
    await stack.close();
    throw new Error(`POST /api/keys answered ${res.status}, not 201: ${text}`);
  }
  const { key } = (await res.json()) as { key: string };
  return { stack, key };
}
