import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { embeddingOf } from '@ork/simulator';
import { startKeyedStack, type KeyedStack } from '../support/keyed-stack.js';
import { startStack, type Stack } from '../support/stack.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const noLimits = { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one example from the repository root (so `openai` resolves) with ORK_* settings. */
function run(command: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`could not run ${command}`, { cause: err }));
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    });
  });
}

/** What openai_sdk_client.mjs prints: the streamed answer, the Responses answer, the embedding's start. */
function sdkExampleOutput(prompt: string): string {
  const vector = embeddingOf(prompt);
  return `echo: ${prompt}\necho: ${prompt}\nembedding: ${vector.length} dimensions, starting ${vector.slice(0, 3).join(', ')}\n`;
}

function canImport(python: string, module: string): boolean {
  return spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

/** Debian's python3-requests installs for /usr/bin/python3, which may not be the python3 on PATH (pyenv). */
function findPython(module: string): string | undefined {
  const candidates = [...(existsSync('/usr/bin/python3') ? ['/usr/bin/python3'] : []), 'python3'];
  return candidates.find((p) => canImport(p, module));
}

const anyPython = findPython('ast');
const pythonWithRequests = findPython('requests');
const pythonWithOpenAI = findPython('openai');
const NO_REQUESTS = 'examples/client.py not run: no python3 can `import requests` (Debian: apt-get install python3-requests)';
if (pythonWithRequests === undefined) console.warn(NO_REQUESTS);

describe('the examples against a running gateway', () => {
  let stack: Stack;
  let env: Record<string, string>;
  beforeAll(async () => {
    stack = await startStack({ keys: 2, env: noLimits });
    env = { ORK_BASE_URL: `${stack.url}/v1`, ORK_API_KEY: 'unused' };
  });
  afterAll(async () => {
    await stack?.close();
  });

  const lastUpstream = async () => (await stack.sim.records()).filter((r) => r.path.endsWith('/chat/completions')).at(-1);

  test('client.js (fetch) prints the answer', async () => {
    const out = await run(process.execPath, ['examples/client.js'], { ...env, ORK_PROMPT: 'from client.js' });
    expect(out).toMatchObject({ code: 0, stdout: 'echo: from client.js\n' });
    expect(await lastUpstream()).toMatchObject({ stream: false, body: { messages: [{ role: 'user', content: 'from client.js' }] } });
  });

  test('openai_sdk_client.mjs (openai SDK) streams the answer, then asks the Responses API and embeds the prompt', async () => {
    const prompt = 'streamed by the sdk example';
    const out = await run(process.execPath, ['examples/openai_sdk_client.mjs'], { ...env, ORK_PROMPT: prompt });
    expect(out).toMatchObject({ code: 0, stdout: sdkExampleOutput(prompt) });
    expect(await lastUpstream()).toMatchObject({ stream: true, body: { model: 'meta-llama/llama-4-maverick:free' } });
    const records = await stack.sim.records();
    expect(records.slice(-2)).toMatchObject([
      { path: '/api/v1/responses', body: { model: 'meta-llama/llama-4-maverick:free', input: prompt } },
      { path: '/api/v1/embeddings', body: { model: 'openai/text-embedding-3-small', input: prompt } },
    ]);
  });

  test('batch.mjs (openai SDK) uploads a JSONL file, shows its progress while polling and writes the output file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ork-batch-'));
    const output = join(dir, 'out.jsonl');
    const out = await run(process.execPath, ['examples/batch.mjs'], { ...env, ORK_BATCH_SIZE: '3', ORK_BATCH_OUTPUT: output, ORK_POLL_MS: '100' });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^batch batch_\w+ completed: 3 answered, 0 failed; output in /);
    expect(out.stderr).toContain('3/3 (0 failed) completed');
    const lines = readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; response: { status_code: number; body: { choices: { message: { content: string } }[] } } });
    expect(lines.map((l) => l.custom_id).sort()).toEqual(['request-1', 'request-2', 'request-3']);
    for (const l of lines) expect(l.response.body.choices[0]?.message.content).toBe(`echo: Question ${l.custom_id.slice(8)}`);
  });

  test('ORK_MODEL picks the model', async () => {
    const out = await run(process.execPath, ['examples/client.js'], { ...env, ORK_MODEL: 'openai/gpt-4o', ORK_PROMPT: 'x' });
    expect(out.code).toBe(0);
    expect(await lastUpstream()).toMatchObject({ body: { model: 'openai/gpt-4o' } });
  });

  test('the JavaScript examples report an error with its status and exit 1', async () => {
    // A model id longer than the gateway accepts: a 400 before anything is queued.
    const bad = { ...env, ORK_MODEL: 'm'.repeat(300) };
    const fetched = await run(process.execPath, ['examples/client.js'], bad);
    expect(fetched.code).toBe(1);
    expect(fetched.stderr).toContain('HTTP 400');
    const sdk = await run(process.execPath, ['examples/openai_sdk_client.mjs'], bad);
    expect(sdk.code).toBe(1);
    expect(sdk.stderr).toContain('400 error');
  });

  test('client.py (requests) prints the answer', async (ctx) => {
    if (pythonWithRequests === undefined) return ctx.skip(NO_REQUESTS);
    const out = await run(pythonWithRequests, ['examples/client.py'], { ...env, ORK_PROMPT: 'from client.py' });
    expect(out).toMatchObject({ code: 0, stdout: 'echo: from client.py\n' });
    expect(await lastUpstream()).toMatchObject({ body: { messages: [{ role: 'user', content: 'from client.py' }] } });
  });

  test('openai_sdk_client.py: run when the openai package is importable, else only parsed', async (ctx) => {
    if (anyPython === undefined) return ctx.skip('no python3 on this machine');
    const parsed = await run(anyPython, ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', 'examples/openai_sdk_client.py'], {});
    expect(parsed.code).toBe(0);
    if (pythonWithOpenAI === undefined) {
      return ctx.skip('examples/openai_sdk_client.py parsed but not run: the Python openai package is not installed');
    }
    const out = await run(pythonWithOpenAI, ['examples/openai_sdk_client.py'], { ...env, ORK_PROMPT: 'from python' });
    expect(out).toMatchObject({ code: 0, stdout: 'echo: from python\necho: from python\n' });
  });
});

describe('the examples with client keys required', () => {
  let keyed: KeyedStack;
  beforeAll(async () => {
    keyed = await startKeyedStack({ keys: 1, env: noLimits });
  });
  afterAll(async () => {
    await keyed?.stack.close();
  });

  test('ORK_API_KEY carries the issued key; a wrong one is refused with 401', async () => {
    const env = { ORK_BASE_URL: `${keyed.stack.url}/v1`, ORK_API_KEY: keyed.key, ORK_PROMPT: 'keyed example' };
    const scripts: [string, string][] = [
      [process.execPath, 'examples/client.js'],
      [process.execPath, 'examples/openai_sdk_client.mjs'],
      ...(pythonWithRequests === undefined ? [] : [[pythonWithRequests, 'examples/client.py'] as [string, string]]),
    ];
    for (const [command, script] of scripts) {
      const expected = script.endsWith('.mjs') ? sdkExampleOutput('keyed example') : 'echo: keyed example\n';
      expect(await run(command, [script], env), script).toMatchObject({ code: 0, stdout: expected });
      const refused = await run(command, [script], { ...env, ORK_API_KEY: 'wrong' });
      expect(refused.code, script).toBe(1);
      expect(refused.stderr, script).toMatch(/401/);
    }
  });
});
