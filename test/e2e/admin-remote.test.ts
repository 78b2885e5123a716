import { afterAll, beforeAll, expect, test } from 'vitest';
import { createNetNamespace, type NetNamespace } from '../support/netns.js';
import { API_MAIN, runProcess, type RunningProcess } from '../support/processes.js';
import { startStack, type Stack } from '../support/stack.js';
import { issueKey } from './admin-helpers.js';

// A real caller that is not loopback: a network namespace of the test's own, joined to this host
// by a veth pair with a /30 made up here. Traffic goes only between those two addresses.
let netns: NetNamespace | undefined;
let skipReason = '';
let stack: Stack;
let remoteApi: RunningProcess | undefined;
let remoteUrl = '';

beforeAll(async () => {
  const made = await createNetNamespace();
  if ('skip' in made) {
    skipReason = made.skip;
    return;
  }
  netns = made;
  stack = await startStack({ keys: 1 });
  // A second API on the same Redis, listening only on this host's end of the pair.
  remoteApi = runProcess(API_MAIN, { ...stack.env, HOST: netns.hostAddress });
  remoteUrl = String((await remoteApi.waitForLog('api listening')).url);
});
afterAll(async () => {
  await remoteApi?.stop();
  await stack?.close();
  await netns?.remove();
});

/** Sent from inside the namespace: each request's status and error code, as JSON on stdout. */
const CALLER = `
const [base, id] = process.argv.slice(1);
const calls = [
  ['POST', '/api/keys', { name: 'from afar' }],
  ['PATCH', '/api/keys/' + id, { name: 'renamed from afar' }],
  ['DELETE', '/api/keys/' + id],
  ['GET', '/api/keys'],
  ['GET', '/v1/models'],
];
const out = [];
for (const [method, path, body] of calls) {
  const res = await fetch(base + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  out.push({ call: method + ' ' + path.replace(id, ':id'), status: res.status, code: json?.error?.code ?? null });
}
console.log(JSON.stringify(out));
`;

test('with AUTH_ENABLED=false, admin writes (POST, PATCH, DELETE) from a non-loopback caller are refused and change nothing', async (ctx) => {
  if (netns === undefined) return ctx.skip(`no network namespace: ${skipReason}`);
  const issued = await issueKey(stack.url, { name: 'local', rateLimit: 5 });
  const { stdout } = await netns.exec(process.execPath, ['--input-type=module', '-e', CALLER, remoteUrl, issued.id]);
  const calls = JSON.parse(stdout) as { call: string; status: number; code: string | null }[];
  expect(calls).toEqual([
    { call: 'POST /api/keys', status: 403, code: 'forbidden' },
    { call: 'PATCH /api/keys/:id', status: 403, code: 'forbidden' },
    { call: 'DELETE /api/keys/:id', status: 403, code: 'forbidden' },
    { call: 'GET /api/keys', status: 403, code: 'forbidden' },
    // The same caller reaches the OpenAI routes: it is the admin surface that refused it.
    { call: 'GET /v1/models', status: 200, code: null },
  ]);
  // Nothing changed: one key, its own name, still active.
  const { keys } = (await (await fetch(`${stack.url}/api/keys`)).json()) as { keys: { id: string; name: string; active: boolean }[] };
  expect(keys.map((k) => [k.id, k.name, k.active])).toEqual([[issued.id, 'local', true]]);
  expect(remoteApi!.output()).toContain(`${netns.nsAddress} is not loopback`);
});
