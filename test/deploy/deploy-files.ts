import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function repoPath(path: string): string {
  return `${ROOT}${path}`;
}

/** The TypeScript source a built entry point comes from: `apps/api/dist/main.js` → `apps/api/src/main.ts`. */
export function builtFrom(distFile: string): string {
  return distFile.replace('/dist/', '/src/').replace(/\.js$/, '.ts');
}

export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (continuation lines joined, comments dropped). */
export function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: m?.[1] ?? args, name: m?.[2], instructions: [] });
      continue;
    }
    const current = stages.at(-1);
    if (!current) throw new Error(`instruction before FROM: ${line}`);
    current.instructions.push({ op: op.toUpperCase(), args });
  }
  return stages;
}
