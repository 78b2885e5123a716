import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A network namespace joined to this host by one veth pair with a /30 of its own. */
export interface NetNamespace {
  name: string;
  /** This host's end of the pair. */
  hostAddress: string;
  /** The namespace's end: a caller that is really not loopback. */
  nsAddress: string;
  /** Runs a command inside the namespace. */
  exec(file: string, args: string[], timeoutMs?: number): Promise<{ stdout: string; stderr: string }>;
  /** Deletes the pair and the namespace; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Creates a namespace with a random /30 in 10.213.0.0/16 between it and this host, or says why
 * it cannot (no `ip`, no CAP_NET_ADMIN). Traffic can only flow between the two addresses made here.
 */
export async function createNetNamespace(): Promise<NetNamespace | { skip: string }> {
  const tag = randomBytes(3).toString('hex');
  const name = `ork-${tag}`;
  const hostIf = `orkh${tag}`;
  const nsIf = `orkn${tag}`;
  const base = randomInt(0, 64) * 4;
  const third = randomInt(0, 256);
  const hostAddress = `10.213.${third}.${base + 1}`;
  const nsAddress = `10.213.${third}.${base + 2}`;
  try {
    const { stdout } = await run('ip', ['-o', 'addr']);
    if (stdout.includes(`10.213.${third}.`)) return { skip: `10.213.${third}.0/24 is already in use on this host` };
    await run('ip', ['netns', 'add', name]);
  } catch (err) {
    return { skip: `cannot create a network namespace (needs \`ip\` and CAP_NET_ADMIN): ${(err as Error).message.split('\n')[0]}` };
  }
  let removed: Promise<void> | undefined;
  const remove = (): Promise<void> =>
    (removed ??= (async () => {
      await run('ip', ['link', 'del', hostIf]).catch(() => undefined);
      await run('ip', ['netns', 'del', name]).catch(() => undefined);
    })());
  try {
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    await run('ip', ['link', 'set', nsIf, 'netns', name]);
    await run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await run('ip', ['-n', name, 'addr', 'add', `${nsAddress}/30`, 'dev', nsIf]);
    await run('ip', ['-n', name, 'link', 'set', nsIf, 'up']);
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    await remove();
    return { skip: `cannot set up a veth pair: ${(err as Error).message.split('\n')[0]}` };
  }
  return {
    name,
    hostAddress,
    nsAddress,
    exec: (file, args, timeoutMs = 20_000) => run('ip', ['netns', 'exec', name, file, ...args], { timeout: timeoutMs }),
    remove,
  };
}
