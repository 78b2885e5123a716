/**
 * CPU time spent by each process during a measured run, from /proc/<pid>/stat (Linux only), so the
 * report can say where a request's CPU goes: API, worker, Redis, simulator or the load generator.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** The fields of /proc/<pid>/stat after "(comm)": state is field 3, so utime (14) is index 11. */
function statFields(path: string): number[] {
  const stat = readFileSync(path, 'utf8');
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
}

/** User + system CPU ms of a process (all its threads), or undefined when it cannot be read. */
function procCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const f = statFields(`/proc/${pid}/stat`);
    return (((f[11] ?? NaN) + (f[12] ?? NaN)) * 1000) / clockTicks();
  } catch {
    return undefined;
  }
}

/** CPU ms of this process plus its children that have exited (utime, stime, cutime, cstime). */
function selfAndChildrenCpuMs(): number | undefined {
  try {
    const f = statFields('/proc/self/stat');
    return (((f[11] ?? NaN) + (f[12] ?? NaN) + (f[13] ?? NaN) + (f[14] ?? NaN)) * 1000) / clockTicks();
  } catch {
    return undefined;
  }
}

/**
 * For the whole run: how much of the machine's CPU went to processes that are not part of the
 * benchmark (neither this process, its children once stopped, nor Redis). `stop()` after every
 * child has exited; returns a fraction 0..1 of all cores, or undefined off Linux.
 */
export function startOtherLoadMeter(redisPid: number | undefined, cores: number): { stop(): number | undefined } {
  const t0 = performance.now();
  const machine0 = machineBusyMs();
  const ours0 = selfAndChildrenCpuMs();
  const redis0 = redisPid === undefined ? 0 : (procCpuMs(redisPid) ?? 0);
  return {
    stop() {
      const machine1 = machineBusyMs();
      const ours1 = selfAndChildrenCpuMs();
      const redis1 = redisPid === undefined ? 0 : (procCpuMs(redisPid) ?? 0);
      if (machine0 === undefined || machine1 === undefined || ours0 === undefined || ours1 === undefined) return undefined;
      const other = machine1 - machine0 - (ours1 - ours0) - (redis1 - redis0);
      return Math.max(0, other / ((performance.now() - t0) * cores));
    },
  };
}

/** Busy CPU ms of the whole machine (all cores, every process) since boot, from /proc/stat. */
function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal ...
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = v.reduce((a, b) => a + b, 0) - (v[3] ?? NaN) - (v[4] ?? 0);
    return (busy * 1000) / clockTicks();
  } catch {
    return undefined;
  }
}

/** The Redis server's pid when it runs on this machine (not in a container or elsewhere). */
export async function localRedisPid(redis: Redis): Promise<number | undefined> {
  const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').includes('redis') ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** CPU ms per name (undefined where /proc could not be read), plus "load generator" and "machine". */
export type CpuUse = Record<string, number | undefined>;

/**
 * Starts counting. `targets` are `{ name, pid }`; the calling process is always included as
 * "load generator", and the whole machine as "machine" (so other processes' load shows up).
 */
export function startCpuMeter(targets: readonly { name: string; pid: number | undefined }[]): { stop(): CpuUse } {
  const before = targets.map((t) => procCpuMs(t.pid));
  const machineBefore = machineBusyMs();
  const self = process.cpuUsage();
  return {
    stop() {
      const out: CpuUse = {};
      targets.forEach((t, i) => {
        const now = procCpuMs(t.pid);
        const then = before[i];
        out[t.name] = now === undefined || then === undefined ? undefined : now - then;
      });
      const used = process.cpuUsage(self);
      out['load generator'] = (used.user + used.system) / 1000;
      const machineNow = machineBusyMs();
      out.machine = machineNow === undefined || machineBefore === undefined ? undefined : machineNow - machineBefore;
      return out;
    },
  };
}
