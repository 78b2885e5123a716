/** What the figures were measured on: CPUs, memory, OS, Node, Redis, and how busy the machine already was. */
import { execFileSync } from 'node:child_process';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import type { Redis } from 'ioredis';
import { REPO_ROOT } from '../../test/support/processes.js';
import { redisVersion } from './redis.js';

export interface Machine {
  cpus: string;
  memory: string;
  os: string;
  node: string;
  redis: string;
  code: string;
  loadAtStart: string;
  /** Filled in at the end of the run. */
  otherLoad?: string;
  warning?: string;
}

export async function describeMachine(redis: Redis): Promise<Machine> {
  const list = cpus();
  const model = (list[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  return {
    cpus: `${list.length} × ${model}`,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    redis: await redisVersion(redis),
    code: codeVersion(),
    loadAtStart: loadavg()
      .map((v) => v.toFixed(2))
      .join(' / '),
  };
}

/** The commit measured, with "+ uncommitted changes" when the working tree differs from it. */
function codeVersion(): string {
  const git = (args: string[]): string => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const head = git(['rev-parse', '--short', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--untracked-files=no']);
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export function machineLine(m: Machine): string {
  const other = m.otherLoad === undefined ? '' : `; CPU used by other processes during the run: ${m.otherLoad}`;
  return `code ${m.code}; CPU ${m.cpus}, ${m.memory} RAM, ${m.os}; Node ${m.node}; Redis ${m.redis} (local, loopback); load average at start (1/5/15 min) ${m.loadAtStart}${other}`;
}
