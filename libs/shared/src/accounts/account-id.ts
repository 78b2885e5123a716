import { createHash } from 'node:crypto';

/** How an account became known: upstream's `creator_user_id`, OPENROUTER_ACCOUNTS, or not at all (the key alone). */
export type AccountSource = 'upstream' | 'config' | 'key';

/** Names an account's Redis state: a hash of upstream's id (not the id itself), or the declared name. */
export function accountRef(source: Exclude<AccountSource, 'key'>, id: string): string {
  if (source === 'config') return `cfg-${id}`;
  return `u-${createHash('sha256').update(id).digest('hex').slice(0, 12)}`;
}

/**
 * `user_2ab…7f3c`: enough to tell accounts apart, shown instead of upstream's id. An id too short
 * to shorten (a test upstream's) is shown whole, so two accounts never look the same.
 */
export function maskAccountId(creatorUserId: string): string {
  const cut = creatorUserId.indexOf('_') + 1;
  const prefix = creatorUserId.slice(0, cut);
  const rest = creatorUserId.slice(cut);
  if (rest.length <= 10) return creatorUserId;
  return `${prefix}${rest.slice(0, 2)}…${rest.slice(-4)}`;
}
