import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findRedisServer } from '@ork/shared';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/** Whether this machine can start a local cluster (Debian's redis package gives both binaries). */
export function clusterToolsMissing(): string | undefined {
  if (findRedisServer(process.env.PATH) === undefined) return 'redis-server is not on the PATH';
  if (spawnSync('redis-cli', ['--version']).status !== 0) return 'redis-cli is not on the PATH';
  return undefined;
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (port + 10_000 > 65_535 || taken.has(port)) continue;
    if ((await freePort(port + 10_000)) === port + 10_000) return port;
  }
  throw new Error('no free port pair (port, port + 10000) on 127.0.0.1');
}

/**
 * A three-master Redis Cluster on loopback ports, for one test file: `start()` waits for
 * cluster_state:ok, `stop()` kills the servers and removes their folder.
 */
export class LocalCluster {
  private readonly children: ChildProcess[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'ork-cluster-'));
  readonly ports: number[] = [];

  /** `host:port,...` as REDIS_CLUSTER_NODES takes it. */
  get nodes(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  async start(masters = 3): Promise<void> {
    const taken = new Set<number>();
    for (let i = 0; i < masters; i++) {
      const port = await clusterPort(taken);
      taken.add(port);
      this.ports.push(port);
      // --cluster-port is left at port + 10000 (checked free above).
      const args = ['--cluster-enabled', 'yes', '--port', String(port), '--bind', '127.0.0.1', '--dir', this.dir,
        '--cluster-config-file', join(this.dir, `nodes-${port}.conf`), '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
      this.children.push(spawn('redis-server', args, { stdio: 'ignore' }));
    }
    for (const port of this.ports) await this.waitFor(port, async () => (await this.cli(port, 'ping')) === 'PONG', 'to answer PING');
    await run('redis-cli', ['--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 30_000,
    });
    for (const port of this.ports) {
      await this.waitFor(port, async () => (await this.cli(port, 'cluster', 'info')).includes('cluster_state:ok'), 'to report cluster_state:ok');
    }
  }

  private async cli(port: number, ...args: string[]): Promise<string> {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 5_000 });
      return stdout.trim();
    } catch {
      return '';
    }
  }

  private async waitFor(port: number, check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`cluster node ${port} did not ${what} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
