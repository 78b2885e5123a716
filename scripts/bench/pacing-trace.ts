/**
 * Reads a worker's slot trace (PACING_TRACE_FILE, apps/worker/src/pacing-trace.ts) and splits
 * each gap between two departures on one key into where its time went.
 */
import { readFileSync } from 'node:fs';

type Line = [keyId: string, requestId: string, step: string, at: number, ms?: number];

interface Slot {
  key: string;
  steps: { step: string; at: number; ms: number | undefined }[];
}

function at(slot: Slot, step: string, which: 'first' | 'last' = 'first'): number | undefined {
  const found = slot.steps.filter((s) => s.step === step);
  return (which === 'first' ? found[0] : found.at(-1))?.at;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

/** Phase name → p50 / p90 / mean (ms), over every slot departed after `sinceEpochMs` that followed another on its key. */
export function summarisePacingTrace(file: string, sinceEpochMs: number): [string, string, string, string, string][] {
  const slots = new Map<string, Slot>();
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (raw === '') continue;
    const [key, id, step, t, ms] = JSON.parse(raw) as Line;
    const slot = slots.get(id) ?? { key, steps: [] };
    slot.steps.push({ step, at: t, ms });
    slots.set(id, slot);
  }
  const byKey = new Map<string, Slot[]>();
  for (const s of slots.values()) if ((at(s, 'sent') ?? 0) >= sinceEpochMs) byKey.set(s.key, [...(byKey.get(s.key) ?? []), s]);
  const phases = new Map<string, number[]>();
  const add = (name: string, v: number | undefined): void => {
    if (v !== undefined && Number.isFinite(v)) phases.set(name, [...(phases.get(name) ?? []), v]);
  };
  for (const list of byKey.values()) {
    list.sort((a, b) => (at(a, 'sent') ?? 0) - (at(b, 'sent') ?? 0));
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1] as Slot;
      const cur = list[i] as Slot;
      const d0 = at(prev, 'sent') as number;
      const d1 = at(cur, 'sent') as number;
      add('gap between departures', d1 - d0);
      add('previous departure → its commit answered', (at(prev, 'commit-answered') ?? NaN) - d0);
      add('previous departure → this one head of the line', (at(cur, 'head') ?? NaN) - d0);
      add('acquire calls per slot', cur.steps.filter((s) => s.step === 'acquire-sent').length);
      const granting = at(cur, 'acquire-sent', 'last');
      const granted = at(cur, 'acquire-answered', 'last');
      add('previous departure → granting acquire sent', (granting ?? NaN) - d0);
      add('granting acquire round trip (incl. queue hold)', (granted ?? NaN) - (granting ?? NaN));
      add('grant answered → dispatch', (at(cur, 'dispatch') ?? NaN) - (granted ?? NaN));
      add('dispatch → sent (undici)', d1 - (at(cur, 'dispatch') ?? NaN));
      let asked = 0;
      let late = 0;
      let rtt = 0;
      let lastSleepStart: { at: number; ms: number } | undefined;
      let acqSent: number | undefined;
      for (const s of cur.steps) {
        if (s.step === 'sleep-start') lastSleepStart = { at: s.at, ms: s.ms ?? 0 };
        if (s.step === 'sleep-end' && lastSleepStart) {
          asked += lastSleepStart.ms;
          late += s.at - lastSleepStart.at - lastSleepStart.ms;
        }
        if (s.step === 'acquire-sent') acqSent = s.at;
        if (s.step === 'acquire-answered' && acqSent !== undefined && s.at !== granted) rtt += s.at - acqSent;
      }
      add('sleeps asked for, total', asked);
      add('timer lateness, total', late);
      add('non-granting acquire round trips, total', rtt);
    }
  }
  const rows: [string, string, string, string, string][] = [];
  for (const [name, values] of phases) {
    values.sort((a, b) => a - b);
    const mean = values.reduce((x, y) => x + y, 0) / values.length;
    rows.push([name, pct(values, 0.5).toFixed(1), pct(values, 0.9).toFixed(1), mean.toFixed(1), String(values.length)]);
  }
  return rows;
}
