/** A small seeded PRNG (mulberry32) so a failing fuzz run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
export const pick = <T>(r: Rand, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

const STRINGS = ['', ' ', 'user', 'system', 'assistant', 'tool', 'm', '\u0000', '😀'.repeat(50), 'x'.repeat(3000), '<script>', '"; DROP', '\r\nX-Evil: 1', '../../etc/passwd', 'meta-llama/llama-4-maverick:free'];
const NUMBERS = [0, -1, 1, 1e308, -1e308, 2 ** 53 + 1, 0.5, NaN, Infinity];

export function randomValue(r: Rand, depth = 0): unknown {
  const kind = depth > 4 ? Math.floor(r() * 4) : Math.floor(r() * 7);
  switch (kind) {
    case 0:
      return pick(r, STRINGS);
    case 1:
      return pick(r, NUMBERS);
    case 2:
      return r() < 0.5;
    case 3:
      return null;
    case 4:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 5); i > 0; i--) o[pick(r, ['model', 'messages', 'prompt', 'stream', 'role', 'content', 'max_tokens', '__proto__', 'constructor', 'models'])] = randomValue(r, depth + 1);
      return o;
    }
  }
}

/** A valid chat body with one field broken in a random way. */
export function mutatedBody(r: Rand): unknown {
  const body: Record<string, unknown> = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
  const field = pick(r, ['model', 'messages', 'stream', 'max_tokens', 'temperature', 'messages.0', 'messages.0.role', 'messages.0.content']);
  const value = randomValue(r);
  if (field.startsWith('messages.0')) {
    const msg = { role: 'user', content: 'hi' } as Record<string, unknown>;
    if (field === 'messages.0') body.messages = [value];
    else msg[field.split('.')[2]!] = value;
    if (field !== 'messages.0') body.messages = [msg];
  } else if (r() < 0.3) delete body[field];
  else body[field] = value;
  return body;
}

/** Text that is not quite JSON. */
export function brokenJson(r: Rand): string {
  const good = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  const cut = Math.floor(r() * good.length);
  return pick(r, [good.slice(0, cut), good.slice(cut), `${good}}`, '{"a":' + '['.repeat(5000), '\uFEFF' + good, good.replace(':', ''), '{}'.repeat(3)]);
}
