import { SIMULATOR_MAIN, connectSimulator, type RemoteSimulator } from '@ork/simulator';
import { canUseNiceness, parseJsonLine, runProcess, type RunningProcess } from './processes.js';

export interface SimulatorProcess {
  proc: RunningProcess;
  /** Base URL including /api/v1. */
  url: string;
  origin: string;
  control: RemoteSimulator;
  /** True when it runs at the niceness asked for (raising priority needs root). */
  prioritised: boolean;
}

/**
 * The fake OpenRouter as a tracked child process with only the SIM_* settings given (latency 0
 * unless set), for scripts that meter its CPU and check it stayed alive. `niceness` (e.g. -15)
 * keeps the arrival stamps it takes for the spacing check free of scheduling jitter.
 */
export async function startSimulatorProcess({
  env = {},
  niceness,
  cwd,
  ownProcessGroup,
}: { env?: Record<string, string>; niceness?: number; cwd?: string; ownProcessGroup?: boolean } = {}): Promise<SimulatorProcess> {
  const prioritised = niceness !== undefined && canUseNiceness(niceness);
  const proc = runProcess(SIMULATOR_MAIN, { SIM_PORT: '0', SIM_HOST: '127.0.0.1', SIM_LATENCY_MS: '0', ...env }, cwd, {
    name: 'simulator',
    niceness: prioritised ? niceness : undefined,
    keepOutputChars: 32_000,
    ownProcessGroup,
  });
  const url = await proc.waitForLine((line) => {
    const msg = parseJsonLine(line);
    return msg?.event === 'listening' && typeof msg.url === 'string' ? msg.url : undefined;
  }, 15_000, 'its listening line');
  return { proc, url, origin: new URL(url).origin, control: connectSimulator(url), prioritised };
}
