/** An account the operator declared in OPENROUTER_ACCOUNTS: a name and the keys (secrets) that belong to it. */
export interface DeclaredAccount {
  name: string;
  upstreamKeys: string[];
}

/** A bad OPENROUTER_ACCOUNTS value; the message completes "OPENROUTER_ACCOUNTS ...". */
export class DeclaredAccountsError extends Error {}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MIN_SUFFIX = 4;

/** A key reference: its 1-based position in OPENROUTER_API_KEYS (1–3 digits), or its last 4+ characters. */
function resolve(ref: string, keys: readonly string[]): string {
  if (/^\d{1,3}$/.test(ref)) {
    const key = keys[Number(ref) - 1];
    if (key === undefined) throw new DeclaredAccountsError(`names key ${ref}, but OPENROUTER_API_KEYS has ${keys.length}`);
    return key;
  }
  if (ref.length < MIN_SUFFIX) throw new DeclaredAccountsError(`entry "${ref}" must be a position or the last ${MIN_SUFFIX}+ characters of a key`);
  const matches = keys.filter((k) => k.endsWith(ref));
  if (matches.length !== 1) {
    throw new DeclaredAccountsError(`entry "${ref}" matches ${matches.length} keys of OPENROUTER_API_KEYS; it must match exactly one`);
  }
  return matches[0] as string;
}

/**
 * Parses `name=ref,ref;name=ref,...` (accounts separated by `;`). Keys not named stay with what
 * upstream reports. Each key may belong to one declared account only.
 */
export function parseDeclaredAccounts(raw: string, keys: readonly string[]): DeclaredAccount[] {
  const out: DeclaredAccount[] = [];
  const owner = new Map<string, string>();
  for (const part of raw.split(';').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? '' : part.slice(0, eq).trim();
    if (!NAME.test(name)) throw new DeclaredAccountsError(`entry "${part}" must be name=key,key (name: letters, digits, _ . -)`);
    if (out.some((a) => a.name === name)) throw new DeclaredAccountsError(`declares account "${name}" twice`);
    const refs = part.slice(eq + 1).split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (refs.length === 0) throw new DeclaredAccountsError(`account "${name}" names no key`);
    const upstreamKeys = [...new Set(refs.map((ref) => resolve(ref, keys)))];
    for (const key of upstreamKeys) {
      const other = owner.get(key);
      if (other !== undefined) throw new DeclaredAccountsError(`puts one key in both "${other}" and "${name}"`);
      owner.set(key, name);
    }
    out.push({ name, upstreamKeys });
  }
  return out;
}
