import type { RedisClient } from '../redis/redis-client.js';
import { ADMIT_REPLY } from '../limits/lua-constants.js';
import { LuaScript } from '../limits/lua-script.js';
import { utcDayNumber } from '../util/time.js';
import type { Admission, ClientKeyInfo, ClientUsage, IssuedClientKey, ClientTokens } from './client-key.js';
import {
  generateClientKey,
  generateClientKeyId,
  hashClientKey,
  isClientKeyId,
  maskClientKey,
} from './client-key-format.js';
import type { ClientKeyPatch, NewClientKey } from './client-key-input.js';
import { ClientKeyNames } from '../limits/redis-keys.js';

const admitScript = new LuaScript('client-key-admit');
const tokensScript = new LuaScript('client-key-tokens');
const updateScript = new LuaScript('client-key-update');
const deleteScript = new LuaScript('client-key-delete');

const int = (v: string | undefined): number => {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
};
const usageOf = (h: Record<string, string>): ClientUsage => ({
  requests: int(h.requests),
  promptTokens: int(h.promptTokens),
  completionTokens: int(h.completionTokens),
});

function toInfo(id: string, record: Record<string, string>, today: Record<string, string>): ClientKeyInfo {
  return {
    id,
    name: record.name ?? '',
    masked: record.masked ?? '',
    rateLimit: int(record.rateLimit),
    active: record.active === '1',
    createdAt: new Date(int(record.createdAt)).toISOString(),
    lastUsedAt: record.lastUsedAt ? new Date(int(record.lastUsedAt)).toISOString() : null,
    usage: { today: usageOf(today), total: usageOf(record) },
  };
}

/**
 * Client keys in Redis, shared by every API process. Only a key's SHA-256 is stored; a request is
 * admitted (and counted, and rate-limited) by one Lua call, so revocation takes effect at once.
 */
export class ClientKeyStore {
  readonly names: ClientKeyNames;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.names = new ClientKeyNames(prefix);
  }

  async create(input: NewClientKey, now = Date.now()): Promise<IssuedClientKey> {
    const key = generateClientKey();
    const id = generateClientKeyId();
    const hash = hashClientKey(key);
    const record = {
      name: input.name,
      hash,
      masked: maskClientKey(key),
      rateLimit: String(input.rateLimit),
      active: '1',
      createdAt: String(now),
      requests: '0',
      promptTokens: '0',
      completionTokens: '0',
    };
    await this.redis
      .multi()
      .hset(this.names.record(id), record)
      .hset(this.names.byHash(), hash, id)
      .zadd(this.names.index(), now, id)
      .exec();
    return { ...toInfo(id, record, {}), key };
  }

  async list(now = Date.now()): Promise<ClientKeyInfo[]> {
    const ids = await this.redis.zrange(this.names.index(), 0, -1);
    return this.read(ids, now);
  }

  async get(id: string, now = Date.now()): Promise<ClientKeyInfo | undefined> {
    if (!isClientKeyId(id)) return undefined;
    return (await this.read([id], now))[0];
  }

  /** Undefined when there is no such key. */
  async update(id: string, patch: ClientKeyPatch): Promise<ClientKeyInfo | undefined> {
    if (!isClientKeyId(id)) return undefined;
    const fields: string[] = [];
    if (patch.name !== undefined) fields.push('name', patch.name);
    if (patch.rateLimit !== undefined) fields.push('rateLimit', String(patch.rateLimit));
    if (patch.active !== undefined) fields.push('active', patch.active ? '1' : '0');
    const updated = await updateScript.run(this.redis, [this.names.record(id)], fields);
    return Number(updated) === 1 ? this.get(id) : undefined;
  }

  /** Revokes a key for every API process at once; false when there was no such key. */
  async remove(id: string): Promise<boolean> {
    if (!isClientKeyId(id)) return false;
    const n = this.names;
    return Number(await deleteScript.run(this.redis, [n.record(id), n.byHash(), n.index(), n.window(id)], [id])) === 1;
  }

  /** Checks a well-formed presented key and, if admitted, counts the request against its limit. */
  async admit(presentedKey: string, requestId: string): Promise<Admission> {
    const n = this.names;
    const reply = await admitScript.run(this.redis, [n.byHash()], [n.byHash(), n.recordPrefix(), hashClientKey(presentedKey), requestId]);
    if (!Array.isArray(reply)) throw new Error('unexpected Lua reply');
    const [status, id, retryAfterMs, limit] = reply as [number, string, number, number];
    switch (Number(status)) {
      case ADMIT_REPLY.admitted:
        return { kind: 'admitted', id };
      case ADMIT_REPLY.disabled:
        return { kind: 'disabled', id };
      case ADMIT_REPLY.overLimit:
        return { kind: 'limited', id, retryAfterMs: Number(retryAfterMs), limit: Number(limit) };
      default:
        return { kind: 'unknown' };
    }
  }

  async recordTokens(id: string, usage: ClientTokens): Promise<void> {
    await tokensScript.run(this.redis, [this.names.record(id)], [usage.promptTokens, usage.completionTokens]);
  }

  private async read(ids: readonly string[], now: number): Promise<ClientKeyInfo[]> {
    if (ids.length === 0) return [];
    const day = utcDayNumber(now);
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.names.record(id)).hgetall(this.names.day(id, day));
    const results = (await pipeline.exec()) ?? [];
    const infos: ClientKeyInfo[] = [];
    ids.forEach((id, i) => {
      const [recordErr, record] = results[2 * i] ?? [];
      const [dayErr, today] = results[2 * i + 1] ?? [];
      if (recordErr ?? dayErr) throw (recordErr ?? dayErr) as Error;
      const r = record as Record<string, string>;
      // Deleted between the index read and this one.
      if (r.hash === undefined) return;
      infos.push(toInfo(id, r, today as Record<string, string>));
    });
    return infos;
  }
}
