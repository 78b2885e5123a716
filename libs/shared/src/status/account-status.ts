import type { KeyAccountView, KeyLimitStatus, LimitSource } from './key-status.js';
import type { AccountSource } from '../accounts/account-id.js';

/** One account of the pool, as /api/status, Bull Board and /metrics show it. */
export interface AccountStatus {
  /** Masked account id, the declared name, or the key's id while its account is unknown. */
  id: string;
  known: boolean;
  source: AccountSource;
  keys: string[];
  today: {
    used: number;
    /** null: no daily limit. */
    limit: number | null;
    remaining: number | null;
    upstreamUsed: number | null;
    upstreamLimit: number | null;
    limitSource: LimitSource;
  };
  /** limit null: no per-minute limit. */
  minute: { used: number; limit: number | null };
  /** Epoch ms of the earliest moment one of its usable keys may start a free-model request; null when none is usable. */
  nextFreeAt: number | null;
}

type KeyView = Pick<KeyLimitStatus, 'state' | 'nextFreeSlotAt' | 'limits'> & { id: string; account: KeyAccountView };

/** Groups keys by the account their free-model requests count against, in the order keys first appear. */
export function groupAccounts(keys: readonly KeyView[]): AccountStatus[] {
  const byId = new Map<string, AccountStatus>();
  for (const key of keys) {
    const a = key.account;
    let account = byId.get(a.id);
    if (account === undefined) {
      const limit = a.limit > 0 ? a.limit : null;
      account = {
        id: a.id,
        known: a.known,
        source: a.source,
        keys: [],
        today: {
          used: a.used,
          limit,
          remaining: limit === null ? null : Math.max(0, limit - a.used),
          upstreamUsed: a.upstreamUsed,
          upstreamLimit: a.upstreamLimit,
          limitSource: a.limitSource,
        },
        minute: { used: a.thisMinute, limit: key.limits.perMinute > 0 ? key.limits.perMinute : null },
        nextFreeAt: null,
      };
      byId.set(a.id, account);
    }
    account.keys.push(key.id);
    if (key.state !== 'disabled') {
      const at = Date.parse(key.nextFreeSlotAt);
      if (account.nextFreeAt === null || at < account.nextFreeAt) account.nextFreeAt = at;
    }
  }
  return [...byId.values()];
}
