import type { RedisClient } from '../redis/redis-client.js';
import { LuaScript } from '../limits/lua-script.js';
import type { RedisKeys } from '../limits/redis-keys.js';
import type { AccountSource } from './account-id.js';

const joinScript = new LuaScript('account-join');
const usageScript = new LuaScript('account-usage');

/** Where each key's free-model requests count, in Redis, so every process and script agrees at once. */
export class AccountRegistry {
  constructor(
    private readonly redis: RedisClient,
    private readonly redisKeys: RedisKeys,
  ) {}

  /**
   * Puts a key into an account (`accountRef` from accountRef()), or back on its own (null).
   * Returns true when the key changed account.
   */
  async assign(keyId: string, account: { ref: string; masked: string; source: Exclude<AccountSource, 'key'> } | null): Promise<boolean> {
    const changed = await joinScript.run(this.redis, [this.redisKeys.accountOfKey()], [
      this.redisKeys.accountOfKey(),
      this.redisKeys.keyBase(keyId),
      account === null ? '' : this.redisKeys.accountBase(account.ref),
      account?.masked ?? '',
      account?.source ?? '',
    ]);
    return Number(changed) === 1;
  }

  /** The base whose limits a key's free-model requests count against (its own base while unknown). */
  async accountBaseOf(keyId: string): Promise<string> {
    const base = this.redisKeys.keyBase(keyId);
    return (await this.redis.hget(this.redisKeys.accountOfKey(), base)) ?? base;
  }

  /** Stores upstream's count of the account's free-model requests today (and its ceiling, when reported), as read with `keyId`. */
  async recordUpstreamUsage(accountBase: string, used: number, limit: number | null, keyId: string): Promise<void> {
    await usageScript.run(this.redis, [this.redisKeys.accountOfKey()], [accountBase, used, limit ?? -1, this.redisKeys.accountOfKey(), this.redisKeys.keyBase(keyId)]);
  }
}
