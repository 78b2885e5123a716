/** What the figures were measured on: CPUs, memory, OS, Node, Redis, and how busy the machine already was. */
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { redisVersion } from './redis.js';

export async function describeMachine(redis) {
  const list = cpus();
  const model = (list[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  return {
    cpus: `${list.length} × ${model}`,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    redis: await redisVersion(redis),
    loadAtStart: loadavg()
      .map((v) => v.toFixed(2))
      .join(' / '),
  };
}

export function machineLine(m) {
  return `CPU ${m.cpus}, ${m.memory} RAM, ${m.os}; Node ${m.node}; Redis ${m.redis} (local, loopback); load average at start (1/5/15 min) ${m.loadAtStart}`;
}
