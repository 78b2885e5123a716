/**
 * CLI: `node apps/simulator/dist/main.js`. Configured from the environment; once listening it
 * prints exactly one JSON line to stdout, which spawning processes parse:
 *   {"event":"listening","url":"http://127.0.0.1:PORT/api/v1","port":PORT}
 */
import { startSimulator } from './simulator.js';
import type { SimulatorOptions } from './types.js';

function num(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (Number.isNaN(n)) throw new Error(`${name} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

function list(name: string): string[] | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** SIM_ACCOUNTS="key1=acctA,key2=acctA,key3=acctB" */
function accounts(): Record<string, string> | undefined {
  const pairs = list('SIM_ACCOUNTS');
  if (pairs === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.lastIndexOf('=');
    if (eq <= 0) throw new Error(`SIM_ACCOUNTS entry ${JSON.stringify(pair)} is not key=account`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

async function main(): Promise<void> {
  const options: SimulatorOptions = {
    port: num('SIM_PORT') ?? 0,
    host: process.env.SIM_HOST || '127.0.0.1',
    latencyMs: num('SIM_LATENCY_MS'),
    chunkDelayMs: num('SIM_CHUNK_DELAY_MS'),
    perMinute: num('SIM_PER_MINUTE'),
    perDay: num('SIM_PER_DAY'),
    clockOffsetMs: num('SIM_CLOCK_OFFSET_MS'),
    validKeys: list('SIM_VALID_KEYS'),
    noCreditKeys: list('SIM_NO_CREDIT_KEYS'),
    keyInfoDown: list('SIM_KEY_INFO_DOWN'),
    accounts: accounts(),
  };
  const sim = await startSimulator(options);
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: sim.url, port: sim.port })}\n`);

  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`simulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
