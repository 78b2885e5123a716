import type { RedisClient } from '@ork/shared';
import { request } from 'undici';
import { BadGatewayError, ServiceUnavailableError } from '@ork/shared';
import type { Logger } from 'pino';

export interface ModelEntry {
  id: string;
  [field: string]: unknown;
}

interface CachedCatalog {
  fetchedAt: number;
  data: ModelEntry[];
}

export interface ModelCatalogOptions {
  redis: RedisClient;
  /** Redis key holding the cached list, shared by every API process. */
  cacheKey: string;
  upstreamBaseUrl: string;
  /** Upstream path of the list. @defaultValue `models` (also `embeddings/models`) */
  path?: string;
  logger: Logger;
  /** After this the list is refreshed in the background; until then it is served as is. */
  refreshAfterMs?: number;
}

const FETCH_TIMEOUT_MS = 10_000;
/** How long a process trusts its in-memory copy before looking at Redis again. */
const MEMO_MS = 5_000;

/**
 * OpenRouter's model list, cached in Redis and refreshed in the background; served stale
 * rather than failing when OpenRouter is briefly unreachable. Fetched without any key, so it
 * never spends a key's request quota.
 */
export class ModelCatalog {
  private memo: { at: number; catalog: CachedCatalog } | undefined;
  private refreshing: Promise<CachedCatalog> | undefined;
  private readonly refreshAfterMs: number;
  private readonly path: string;

  constructor(private readonly o: ModelCatalogOptions) {
    this.refreshAfterMs = o.refreshAfterMs ?? 10 * 60_000;
    this.path = o.path ?? 'models';
  }

  async list(): Promise<ModelEntry[]> {
    const cached = await this.cached();
    if (!cached) return (await this.refresh()).data;
    if (Date.now() - cached.fetchedAt > this.refreshAfterMs) {
      this.refresh().catch((err: unknown) => this.o.logger.warn({ err }, 'model list refresh failed; serving the cached one'));
    }
    return cached.data;
  }

  async get(id: string): Promise<ModelEntry | undefined> {
    return (await this.list()).find((m) => m.id === id);
  }

  private async cached(): Promise<CachedCatalog | undefined> {
    if (this.memo && Date.now() - this.memo.at < MEMO_MS) return this.memo.catalog;
    const raw = await this.o.redis.get(this.o.cacheKey).catch(() => null);
    if (raw === null) return this.memo?.catalog;
    const catalog = JSON.parse(raw) as CachedCatalog;
    this.memo = { at: Date.now(), catalog };
    return catalog;
  }

  /** One upstream fetch at a time per process. */
  private refresh(): Promise<CachedCatalog> {
    this.refreshing ??= this.fetchUpstream().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async fetchUpstream(): Promise<CachedCatalog> {
    let res;
    try {
      res = await request(`${this.o.upstreamBaseUrl}/${this.path}`, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (err) {
      throw new ServiceUnavailableError('The model list is unavailable: OpenRouter could not be reached.', { cause: err });
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      throw new BadGatewayError(`OpenRouter answered ${res.statusCode} for ${this.path}.`);
    }
    const parsed = parseJson(text) as { data?: unknown } | null;
    if (!Array.isArray(parsed?.data)) throw new BadGatewayError(`OpenRouter sent ${this.path} without \`data\`.`);
    const catalog: CachedCatalog = {
      fetchedAt: Date.now(),
      data: parsed.data.filter((m): m is ModelEntry => typeof (m as ModelEntry | null)?.id === 'string'),
    };
    await this.o.redis.set(this.o.cacheKey, JSON.stringify(catalog)).catch(() => undefined);
    this.memo = { at: Date.now(), catalog };
    return catalog;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
