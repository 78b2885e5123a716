/**
 * Child processes of the benchmark: spawn `node <main>` with an exact environment, keep the tail of
 * what it prints, and stop it (SIGTERM, then SIGKILL). Every process started here is tracked so
 * `stopAll()` can end them on success, on failure and on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

const OUTPUT_TAIL_CHARS = 32_000;
const running = new Set();

/**
 * @param {string} name label used in error messages
 * @param {string} main absolute path of the script to run
 * @param {{ env: Record<string, string>, cwd: string, nodeArgs?: string[], niceness?: number }} options
 *   `niceness` runs it through nice(1), so every thread gets the priority (nice execs node: same pid)
 */
export function startNode(name, main, { env, cwd, nodeArgs = [], niceness }) {
  const node = [process.execPath, ...nodeArgs, main];
  const [command, args] = niceness === undefined ? [node[0], node.slice(1)] : ['nice', ['-n', String(niceness), ...node]];
  const child = spawn(command, args, {
    cwd,
    // Only what we pass: a developer's shell or .env must not change what is measured.
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const lineWaiters = new Set();
  const onLine = (line) => {
    tail = (tail + line + '\n').slice(-OUTPUT_TAIL_CHARS);
    for (const w of lineWaiters) w(line);
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);

  let exitCode;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      running.delete(handle);
      resolve(exitCode);
    });
    child.once('error', (err) => {
      tail += `spawn error: ${err.message}\n`;
      exitCode = 'spawn-error';
      running.delete(handle);
      resolve(exitCode);
    });
  });

  let stopping;
  const handle = {
    name,
    child,
    get pid() {
      return child.pid;
    },
    exited,
    /** True while the process runs. */
    alive: () => exitCode === undefined,
    /** The last ~32 kB it printed, stdout and stderr interleaved by line. */
    output: () => tail,
    /** Resolves with the first line for which `match(line)` returns a value other than undefined. */
    waitForLine(match, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          lineWaiters.delete(onEach);
        };
        const onEach = (line) => {
          const value = match(line);
          if (value !== undefined) {
            done();
            resolve(value);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name}: no expected output within ${timeoutMs} ms\n${tail}`));
        }, timeoutMs);
        lineWaiters.add(onEach);
        void exited.then((code) => {
          if (!lineWaiters.has(onEach)) return;
          done();
          reject(new Error(`${name} exited (${code}) before it was ready\n${tail}`));
        });
      });
    },
    /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. Safe to call twice. */
    stop(graceMs = 8_000) {
      stopping ??= (async () => {
        if (exitCode !== undefined) return exitCode;
        child.kill('SIGTERM');
        let timer;
        const killed = new Promise((resolve) => {
          timer = setTimeout(() => {
            if (exitCode === undefined) child.kill('SIGKILL');
            resolve();
          }, graceMs);
        });
        await Promise.race([exited, killed]);
        clearTimeout(timer);
        return exited;
      })();
      return stopping;
    },
  };
  running.add(handle);
  return handle;
}

/** Stops every process started by this module that is still running. */
export async function stopAll() {
  await Promise.all([...running].map((p) => p.stop()));
}

/** A TCP port that was free a moment ago on 127.0.0.1 (the API logs its port only at info level). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
