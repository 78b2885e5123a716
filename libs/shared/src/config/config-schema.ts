import { z } from 'zod';
import { TrustedProxies } from './trusted-proxies.js';
import { parseRedisClusterNodes } from './redis-cluster-nodes.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const nonNegativeInt = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

const commaList = z
  .string()
  .default('')
  .transform((v) => [...new Set(v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))]);

/** Where Redis comes from; also parsed on its own by start paths that need no upstream keys. */
const redisTargetShape = {
  /** Unset (or empty): the loopback default below, and if nothing answers there an embedded Redis. */
  REDIS_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  ),
  /**
   * Port of the default address (127.0.0.1) looked at when REDIS_URL is unset, before an embedded
   * Redis is started. Loopback and port only, so it can move the default (tests, a machine whose 6379
   * belongs to something else) but never stands in for REDIS_URL.
   */
  REDIS_DEFAULT_PORT: z.coerce.number().int().min(1).max(65535).default(6379),
  /**
   * Seed nodes of a Redis Cluster (`host:port,...` or redis:// URLs): when set, every process uses
   * the cluster through ioredis Cluster, and REDIS_URL is not read. Unset: one Redis.
   */
  REDIS_CLUSTER_NODES: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return undefined;
        const parsed = parseRedisClusterNodes(v);
        if (typeof parsed === 'string') {
          ctx.addIssue({ code: 'custom', message: parsed });
          return z.NEVER;
        }
        return parsed;
      }),
  ),
};

export const redisTargetSchema = z.object(redisTargetShape);

/** Every variable the service reads. Names are part of the contract: do not rename. */
export const configSchema = z
  .object({
    OPENROUTER_API_KEYS: commaList.refine((keys) => keys.length > 0, {
      message: 'set at least one OpenRouter key (comma-separated)',
    }),
    OPENROUTER_BASE_URL: z.url().default('https://openrouter.ai/api/v1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    ...redisTargetShape,
    /** Namespace of every Redis key and BullMQ queue; lets several deployments (or tests) share one Redis. */
    REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').default('ork'),
    KEY_MIN_INTERVAL_MS: nonNegativeInt(5000),
    /** 0 turns the per-minute limit off. */
    KEY_REQUESTS_PER_MINUTE: nonNegativeInt(20),
    /**
     * 0 turns the per-day limit off. Left unset, the daily ceiling OpenRouter reports for an
     * account (`GET /key`) replaces the default.
     */
    KEY_REQUESTS_PER_DAY: nonNegativeInt(200),
    /** Whether KEY_MIN_INTERVAL_MS spaces the starts of each key (default) or of each account. */
    KEY_MIN_INTERVAL_SCOPE: z.enum(['key', 'account']).default('key'),
    /** Accounts declared by the operator for upstreams that do not report them: `name=1,2;other=3`. */
    OPENROUTER_ACCOUNTS: z.string().default(''),
    /** How often each key's `GET /key` is re-read (accounts, today's quota, credit). */
    ACCOUNT_REFRESH_MS: positiveInt(300_000),
    /** Most paid-model requests one key starts in any 60 s; 0 (default) = no cap. */
    PAID_REQUESTS_PER_MINUTE: nonNegativeInt(0),
    /** Requests one worker process runs at once on one key; above 1 so slow answers do not cap throughput. */
    KEY_CONCURRENCY: positiveInt(16),
    QUEUE_TIMEOUT_MS: positiveInt(600_000),
    /** Upstream attempts per request (5xx, timeouts, provider 429s are retried on another key). */
    UPSTREAM_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    /** Longest wait for upstream's response headers. */
    UPSTREAM_HEADERS_TIMEOUT_MS: positiveInt(60_000),
    /** Longest silence between two pieces of upstream's body (bytes, SSE events or comments). */
    UPSTREAM_IDLE_TIMEOUT_MS: positiveInt(60_000),
    /** Largest upstream answer relayed or buffered; beyond it the request fails with a 502. */
    UPSTREAM_MAX_RESPONSE_BYTES: positiveInt(16 * 1024 * 1024),
    MAX_BODY_BYTES: positiveInt(10 * 1024 * 1024),
    /** Longest a client may take to send its whole request (headers and body); then 408. */
    BODY_READ_TIMEOUT_MS: positiveInt(60_000),
    SHUTDOWN_TIMEOUT_MS: positiveInt(30_000),
    /** How long finished jobs stay for Bull Board; 0 removes them at once. */
    JOB_RETENTION_SECONDS: nonNegativeInt(0),
    /** Seconds batch output/error files, batches and async job results are kept once finished (then removed). */
    BACKGROUND_RESULT_TTL_SECONDS: positiveInt(86_400),
    /** Largest batch input file accepted (`POST /files`); larger uploads get a 413. */
    BATCH_MAX_FILE_BYTES: positiveInt(100 * 1024 * 1024),
    /** Most request lines in one batch input file. */
    BATCH_MAX_LINES: positiveInt(50_000),
    /** How far ahead of a key's next free slot background work is moved into the key's queue. */
    BACKGROUND_DISPATCH_AHEAD_MS: positiveInt(2_000),
    /** Secret that signs async-job callbacks (HMAC-SHA256); a `callback_url` is refused while it is unset. */
    CALLBACK_SECRET: z.string().default(''),
    /** First retry delay of a failed callback delivery; doubles per try. */
    CALLBACK_RETRY_BASE_MS: positiveInt(1_000),
    /** Callback deliveries tried per job before giving up. */
    CALLBACK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
    /** Fair-share weights of client keys for background work: `<clientKeyId>=<weight>,...` (default 1 each). */
    BACKGROUND_CLIENT_WEIGHTS: z.string().default(''),
    /** Retained finished jobs keep their request body (prompts) too; off: only the model. */
    JOB_RETENTION_KEEP_PROMPTS: bool,
    API_KEY_AUTH_ENABLED: bool,
    AUTH_ENABLED: bool,
    AUTH_USERNAME: z.string().default(''),
    AUTH_PASSWORD: z.string().default(''),
    /**
     * Proxies whose X-Forwarded-For decides whether an admin caller is local (AUTH_ENABLED=false):
     * `loopback`, `private`, addresses or CIDRs. Empty: forwarded requests are never local.
     */
    TRUST_PROXY: commaList
      .transform((list) => list.filter((entry) => entry !== 'false' && entry !== 'none'))
      .superRefine((list, ctx) => {
        if (list.includes('true')) {
          ctx.addIssue({
            code: 'custom',
            message: 'cannot be true: name the proxies (loopback, private, addresses or CIDRs); trusting every hop lets any client pass for local',
          });
          return;
        }
        try {
          new TrustedProxies(list);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `entry ${(err as Error).message}` });
        }
      }),
    /**
     * Unset: `*` when client keys are required, otherwise no cross-origin caller at all, so no web
     * page can spend a keyless pool from its visitor's browser (see corsOrigins in config.ts).
     */
    CORS_ORIGINS: commaList,
    /**
     * Host names (besides IP addresses and localhost) the service answers to while a surface is open
     * without credentials; `*` turns the check off. Stops DNS rebinding.
     */
    ALLOWED_HOSTS: commaList
      .transform((list) => list.map((h) => h.toLowerCase()))
      .superRefine((list, ctx) => {
        const bad = list.find((h) => h !== '*' && !/^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(h));
        if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `entry "${bad}" is not a host name (no scheme, port or path; *.example.com for subdomains)` });
      }),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Human-readable logs (pino-pretty, a dev dependency); also on with NODE_ENV=development. */
    LOG_PRETTY: bool,
    NODE_ENV: z.string().default('production'),
    /**
     * Test suite only (refused unless NODE_ENV=test): limit scripts read a clock offset a test
     * sets in Redis, and workers stamp each upstream request with its departure time.
     */
    TEST_HOOKS: bool,
    /**
     * Benchmarks only (refused unless NODE_ENV=test): a file the worker writes, on close, the time
     * of each step of every spaced slot (acquire, sleep, departure, commit) to; see pacing-trace.ts.
     */
    PACING_TRACE_FILE: z.string().default(''),
  })
  .superRefine((c, ctx) => {
    if (c.TEST_HOOKS && c.NODE_ENV !== 'test') {
      ctx.addIssue({ code: 'custom', path: ['TEST_HOOKS'], message: 'is for the test suite only: it needs NODE_ENV=test' });
    }
    if (c.PACING_TRACE_FILE !== '' && c.NODE_ENV !== 'test') {
      ctx.addIssue({ code: 'custom', path: ['PACING_TRACE_FILE'], message: 'is for benchmarks only: it needs NODE_ENV=test' });
    }
    if (c.AUTH_ENABLED && (c.AUTH_USERNAME === '' || c.AUTH_PASSWORD === '')) {
      ctx.addIssue({
        code: 'custom',
        path: [c.AUTH_USERNAME === '' ? 'AUTH_USERNAME' : 'AUTH_PASSWORD'],
        message: 'is required when AUTH_ENABLED=true',
      });
    }
  });

export type RawConfig = z.output<typeof configSchema>;
