/**
 * `npx tsx scripts/bench/profile-summary.ts <file.cpuprofile>... [--top N]`: where a process spent its
 * CPU, from profiles written by `BENCH_CPU_PROF=<dir> npm run bench` (node --cpu-prof).
 * Prints self time grouped by package / area, then the hottest functions.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const files = args.filter((a, i) => a !== '--top' && i !== topAt + 1);
if (files.length === 0) {
  console.error('usage: npx tsx scripts/bench/profile-summary.ts <file.cpuprofile>... [--top N]');
  process.exit(2);
}

/** node_modules/<pkg>, our workspace package, node internals, or a V8 pseudo-frame such as (garbage collector). */
function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  const ours = /\/(apps\/[^/]+|libs\/[^/]+)\//.exec(url);
  if (ours?.[1]) return ours[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  return url;
}

/** The parts of a V8 .cpuprofile read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

function summarize(file: string): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const { functionName, url, lineNumber } = frame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const name = `${functionName || '(anonymous)'}  ${url ? `${url.replace(/^file:\/\/.*?\/(node_modules|apps|libs)\//, '$1/')}:${lineNumber + 1}` : ''}`;
    fns.set(name, (fns.get(name) ?? 0) + us);
  }
  const pct = (us: number): string => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
  const lines = [`== ${basename(file)}: ${(total / 1000).toFixed(0)} ms on CPU, ${(idle / 1000).toFixed(0)} ms idle ==`, 'by area (self time):'];
  for (const [area, us] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${pct(us)}  ${area}`);
  lines.push(`hottest functions (self time, top ${top}):`);
  for (const [fn, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${fn}`);
  return lines.join('\n');
}

for (const file of files) console.log(`${summarize(file)}\n`);
