import type { RemoteSimulator } from '@ork/simulator';
import type { RunningProcess } from '../../test/support/processes.js';
import type { Gateway } from './stack.js';

/** One performance goal of a scenario, printed as met or MISSED. */
export interface Target {
  name: string;
  value: string;
  target: string;
  met: boolean;
}

export interface Table {
  caption: string;
  header: string[];
  rows: string[][];
}

/** What a scenario hands to the report: its table, notes, targets and anything that went wrong. */
export interface ScenarioResult {
  id: string;
  title: string;
  header: string[];
  rows: string[][];
  extraTables?: Table[];
  notes: string[];
  targets: Target[];
  /** Wrong answers, violations, crashes: any one fails the run. */
  problems: string[];
}

export interface BenchStack {
  /** How the gateway runs: one API and one worker process, or `npm start`'s single process. */
  layout: 'api+worker' | 'npm start';
  sim: { url: string; origin: string; control: RemoteSimulator; prioritised: boolean };
  gateway: Gateway;
  keys: string[];
  prefix: string;
  cpuTargets: { name: string; pid: number | undefined }[];
  processes: RunningProcess[];
}

export interface BenchOptions {
  quick: boolean;
  strict: boolean;
  only: string[];
  cpuProfDir: string | undefined;
  progress: (msg: string) => void;
}

export type Scenario = (stack: BenchStack, opts: BenchOptions) => Promise<ScenarioResult>;
