/** Prints the results twice: a console table per scenario, then markdown ready for docs/BENCHMARKS.md. */
import { consoleTable, markdownTable } from './stats.js';
import { machineLine, type Machine } from './machine.js';
import type { ScenarioResult } from './result.js';

const mark = (met: boolean): string => (met ? 'met' : 'MISSED');

export function printConsole(machine: Machine, results: readonly ScenarioResult[], failures: readonly string[]): void {
  const out: string[] = [];
  out.push('', `OpenRouter Key Aggregator benchmark, ${new Date().toISOString()}`, machineLine(machine), '');
  if (machine.warning) out.push(`WARNING: ${machine.warning}`, '');
  for (const r of results) {
    out.push(`== ${r.title} ==`, consoleTable(r.header, r.rows));
    for (const t of r.extraTables ?? []) out.push('', `${t.caption}:`, consoleTable(t.header, t.rows));
    for (const t of r.targets) out.push(`  target ${t.name}: ${t.value} (${t.target}) ${mark(t.met)}`);
    out.push('');
  }
  if (failures.length > 0) {
    out.push('FAILED:');
    for (const f of failures) out.push(`  - ${f}`);
    out.push('');
  }
  console.log(out.join('\n'));
}

export function printMarkdown(machine: Machine, results: readonly ScenarioResult[]): void {
  const out = ['----- markdown for docs/BENCHMARKS.md -----', '', `Run of ${new Date().toISOString().slice(0, 10)}: ${machineLine(machine)}.`, ''];
  for (const r of results) {
    out.push(`#### ${r.title}`, '', markdownTable(r.header, r.rows), '');
    for (const t of r.extraTables ?? []) out.push(`${t.caption}:`, '', markdownTable(t.header, t.rows), '');
    for (const n of r.notes) out.push(n);
    if (r.notes.length) out.push('');
  }
  const targets = results.flatMap((r) => r.targets);
  if (targets.length > 0) {
    out.push(
      markdownTable(
        ['target', 'measured', 'goal', ''],
        targets.map((t) => [t.name, t.value, t.target, mark(t.met)]),
      ),
      '',
    );
  }
  out.push('----- end of markdown -----');
  console.log(out.join('\n'));
}
