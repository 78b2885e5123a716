import type { RedisClient } from '@ork/shared';
import type { Logger } from 'pino';
import {
  AccountRegistry,
  reindexKey,
  accountRef,
  maskAccountId,
  parseKeyInfo,
  type AccountSource,
  type DeclaredAccount,
  type KeyLimits,
  keyStateOf,
  type KeyInfo,
  type RedisKeys,
  type UpstreamKey,
} from '@ork/shared';
import type { UpstreamClient } from './upstream/upstream-client.js';

export interface AccountDiscoveryOptions {
  redis: RedisClient;
  redisKeys: RedisKeys;
  keys: readonly UpstreamKey[];
  upstream: UpstreamClient;
  logger: Logger;
  declared: readonly DeclaredAccount[];
  /** ACCOUNT_REFRESH_MS: how often every key's GET /key is re-read. */
  refreshMs: number;
  limits: KeyLimits;
}

type Assignment = { ref: string; masked: string; source: Exclude<AccountSource, 'key'> };

/** A re-read asked for after a 401/402/429 waits at least this long after the previous one of the key. */
const ON_DEMAND_GAP_MS = 2_000;
const PROBE_TIMEOUT_MS = 10_000;
const PROBE_CONCURRENCY = 8;

/**
 * Learns which account each key belongs to, and the account's free-model use today, from
 * upstream's `GET /key` (which spends no request quota): at start-up, every ACCOUNT_REFRESH_MS,
 * and after a 401/402/429. Keys declared in OPENROUTER_ACCOUNTS keep their declared account.
 * A key whose GET /key fails stays as it was: on its own until upstream names its account.
 * One process reads each key per round (a Redis lock), so more workers add no traffic.
 */
export class AccountDiscovery {
  private readonly registry: AccountRegistry;
  private readonly declared = new Map<string, Assignment>();
  private readonly lastAsked = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: AccountDiscoveryOptions) {
    this.registry = new AccountRegistry(o.redis, o.redisKeys);
    for (const account of o.declared) {
      for (const secret of account.upstreamKeys) {
        this.declared.set(secret, { ref: accountRef('config', account.name), masked: account.name, source: 'config' });
      }
    }
  }

  /** The first round (awaited, so limits hold per account from the first request on), then the periodic ones. */
  async start(): Promise<void> {
    await this.round(Math.max(this.o.refreshMs - 1_000, 1_000));
    await this.logSummary();
    this.timer = setInterval(() => {
      this.round(Math.max(this.o.refreshMs - 1_000, 1_000)).catch((err: unknown) => this.o.logger.warn({ err }, 'account refresh failed'));
    }, this.o.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Re-reads one key's GET /key soon (after upstream refused it or limited its account); never throws. */
  refresh(keyId: string): void {
    const now = Date.now();
    if (now - (this.lastAsked.get(keyId) ?? 0) < ON_DEMAND_GAP_MS) return;
    this.lastAsked.set(keyId, now);
    const key = this.o.keys.find((k) => k.id === keyId);
    if (!key) return;
    this.discover(key, ON_DEMAND_GAP_MS).catch((err: unknown) => this.o.logger.warn({ err, keyId }, 'account refresh failed'));
  }

  /** Where a key's free-model requests count now (its own base while its account is unknown). */
  accountBaseOf(keyId: string): Promise<string> {
    return this.registry.accountBaseOf(keyId);
  }

  /** Every key once, a few at a time (hundreds of keys must not mean hundreds of requests at once). */
  private async round(lockMs: number): Promise<void> {
    const queue = [...this.o.keys];
    const next = async (): Promise<void> => {
      for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
        await this.discover(key, lockMs).catch((err: unknown) => this.o.logger.warn({ err, keyId: key.id }, 'account discovery failed'));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, queue.length) }, next));
  }

  private async discover(key: UpstreamKey, lockMs: number): Promise<void> {
    const declared = this.declared.get(key.secret);
    if (declared) await this.assign(key, declared);
    const lock = await this.o.redis.set(this.o.redisKeys.accountProbe(key.id), '1', 'PX', lockMs, 'NX');
    if (lock !== 'OK') return;
    const info = await this.read(key);
    if (info === undefined) return;
    if (!declared && info.creatorUserId !== null) {
      await this.assign(key, { ref: accountRef('upstream', info.creatorUserId), masked: maskAccountId(info.creatorUserId), source: 'upstream' });
    }
    if (info.freeDaily) {
      await this.registry.recordUpstreamUsage(await this.registry.accountBaseOf(key.id), info.freeDaily.used, info.freeDaily.limit, key.id);
    }
    if (info.creditRemaining !== null && info.creditRemaining <= 0) {
      // Out of rotation until the key probe sees credit again (limit_remaining > 0).
      const state = this.o.redisKeys.keyState(key.id);
      if ((await this.o.redis.hsetnx(state, 'disabled', 'no-credits')) === 1) {
        await this.o.redis.hset(state, 'disabledAt', Date.now());
        await reindexKey(this.o.redis, this.o.redisKeys.accountOfKey(), this.o.redisKeys.keyBase(key.id));
        this.o.logger.warn({ keyId: key.id, key: key.masked }, 'key has no credit left under its cap; out of rotation');
      }
    }
  }

  private async read(key: UpstreamKey): Promise<KeyInfo | undefined> {
    const answer = await this.o.upstream.probeKey(key.secret, AbortSignal.timeout(PROBE_TIMEOUT_MS)).catch(() => undefined);
    if (answer?.status !== 200) {
      this.o.logger.debug({ keyId: key.id, status: answer?.status }, 'GET /key failed; the key keeps its account as it was');
      return undefined;
    }
    return parseKeyInfo(answer.body);
  }

  private async assign(key: UpstreamKey, account: Assignment): Promise<void> {
    if (await this.registry.assign(key.id, account)) {
      this.o.logger.info({ keyId: key.id, key: key.masked, account: account.masked, source: account.source }, 'key joined its account');
    }
  }

  /** One line with the number of accounts, and a warning for every account several keys share. */
  private async logSummary(): Promise<void> {
    const byAccount = new Map<string, UpstreamKey[]>();
    for (const key of this.o.keys) {
      const base = await this.registry.accountBaseOf(key.id);
      byAccount.set(base, [...(byAccount.get(base) ?? []), key]);
    }
    const unknown = [...byAccount.entries()].filter(([base, keys]) => keys.length === 1 && keys[0] && base === this.o.redisKeys.keyBase(keys[0].id)).length;
    this.o.logger.info({ keys: this.o.keys.length, accounts: byAccount.size, unknownAccounts: unknown }, 'upstream accounts');
    const { perMinute, perDay, perDayExplicit } = this.o.limits;
    for (const [base, keys] of byAccount) {
      if (keys.length < 2) continue;
      const upstreamLimit = Number(await this.o.redis.hget(keyStateOf(base), 'upLimit'));
      const day = !perDayExplicit && upstreamLimit > 0 ? upstreamLimit : perDay;
      const limits = [perMinute > 0 ? `${perMinute}/min` : '', day > 0 ? `${day}/day` : ''].filter((x) => x !== '').join(' and ') || 'free-model limits';
      this.o.logger.warn({ keys: keys.map((k) => k.masked) }, `these ${keys.length} keys share one account's ${limits}: keys of one account add no capacity`);
    }
  }
}
