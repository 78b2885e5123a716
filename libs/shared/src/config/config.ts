import { config as loadDotenv } from 'dotenv';
import type { z } from 'zod';
import { configSchema, redisTargetSchema, type RawConfig } from './config-schema.js';
import type { RedisClusterTarget } from './redis-cluster-nodes.js';
import { ConfigError } from '../errors/config-error.js';
import { DeclaredAccountsError, parseDeclaredAccounts, type DeclaredAccount } from './declared-accounts.js';

/** Limits applied to every upstream key; 0 means "off" for minute and day. */
export interface KeyLimits {
  minIntervalMs: number;
  /** Free-model request starts per account in any sliding minute. */
  perMinute: number;
  /** Free-model request starts per account and UTC day (unless upstream reports the ceiling). */
  perDay: number;
  /** KEY_REQUESTS_PER_DAY was set: it wins over the ceiling upstream reports. */
  perDayExplicit?: boolean;
  /** Whose starts KEY_MIN_INTERVAL_MS spaces. */
  spacingScope?: 'key' | 'account';
  /** Paid-model starts per key in any sliding minute; 0 = no cap. */
  paidPerMinute?: number;
}

export interface BackgroundConfig {
  resultTtlSeconds: number;
  maxFileBytes: number;
  maxLines: number;
  dispatchAheadMs: number;
  callbackSecret: string;
  callbackRetryBaseMs: number;
  callbackMaxAttempts: number;
  /** Client key id (or `anonymous`) → fair-share weight. */
  clientWeights: Record<string, number>;
}

/** What upstream may do to us: how long it may keep us waiting, and how much it may send. */
export interface UpstreamBounds {
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  maxResponseBytes: number;
}

export interface AppConfig {
  upstreamKeys: string[];
  upstreamBaseUrl: string;
  port: number;
  host: string;
  /** REDIS_URL, or the default address when it is unset (see redisUrlGiven). */
  redisUrl: string;
  /** False: REDIS_URL is unset, so an embedded Redis may stand in when nothing answers at redisUrl. */
  redisUrlGiven: boolean;
  /** REDIS_CLUSTER_NODES: set, every process uses this Redis Cluster instead of redisUrl. */
  redisCluster?: RedisClusterTarget | undefined;
  redisPrefix: string;
  limits: KeyLimits;
  /** Accounts from OPENROUTER_ACCOUNTS, their keys resolved. */
  declaredAccounts: DeclaredAccount[];
  /** How often `GET /key` is re-read per key. */
  accountRefreshMs: number;
  keyConcurrency: number;
  queueTimeoutMs: number;
  upstreamMaxAttempts: number;
  /** UPSTREAM_HEADERS_TIMEOUT_MS, UPSTREAM_IDLE_TIMEOUT_MS, UPSTREAM_MAX_RESPONSE_BYTES. */
  upstreamBounds: UpstreamBounds;
  maxBodyBytes: number;
  /** BODY_READ_TIMEOUT_MS: a request not fully received by then gets a 408 (apart from QUEUE_TIMEOUT_MS). */
  bodyReadTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** JOB_RETENTION_SECONDS: finished jobs are kept this long (at most 1,000 per key and state); 0 = not at all. */
  jobRetentionSeconds: number;
  /** Async jobs and the Batch API (BACKGROUND_*, BATCH_*, CALLBACK_*). */
  background: BackgroundConfig;
  /** JOB_RETENTION_KEEP_PROMPTS: retained finished jobs keep their request body; false = the model only. */
  jobRetentionKeepPrompts: boolean;
  apiKeyAuthEnabled: boolean;
  adminAuth: { enabled: boolean; username: string; password: string };
  /** TRUST_PROXY entries (`loopback`, `private`, addresses, CIDRs); empty trusts no proxy. */
  trustProxy: string[];
  /** Origins allowed on the OpenAI routes: CORS_ORIGINS, or its default (see corsDefault). */
  corsOrigins: string[];
  /** Whether corsOrigins is the default rule rather than CORS_ORIGINS. */
  corsDefaulted: boolean;
  /** ALLOWED_HOSTS: DNS names accepted in `Host` besides localhost (IP addresses always are); `*` = any. */
  allowedHosts: string[];
  logLevel: RawConfig['LOG_LEVEL'];
  logPretty: boolean;
  /** TEST_HOOKS: the test clock and departure stamps (test/support/test-clock.ts); never on outside NODE_ENV=test. */
  testHooks: boolean;
  /** PACING_TRACE_FILE: where the worker writes its slot trace on close ('' = no trace); benchmarks only. */
  pacingTraceFile: string;
}

/** The contract's default, `redis://127.0.0.1:6379`, unless REDIS_DEFAULT_PORT moves its port. */
export function defaultRedisUrl(port = 6379): string {
  return `redis://127.0.0.1:${port}`;
}

export type RedisTarget = Pick<AppConfig, 'redisUrl' | 'redisUrlGiven' | 'redisCluster'>;

function toRedisTarget(c: { REDIS_URL?: string | undefined; REDIS_DEFAULT_PORT: number; REDIS_CLUSTER_NODES?: RedisClusterTarget | undefined }): RedisTarget {
  return {
    redisUrl: c.REDIS_URL ?? defaultRedisUrl(c.REDIS_DEFAULT_PORT),
    redisUrlGiven: c.REDIS_URL !== undefined,
    ...(c.REDIS_CLUSTER_NODES ? { redisCluster: c.REDIS_CLUSTER_NODES } : {}),
  };
}

/**
 * CORS_ORIGINS unset: any origin when every caller needs a client key (a page cannot spend what it
 * has no key for), none when the pool is open, since any web page could otherwise spend it from its
 * visitor's browser.
 */
export function corsDefault(apiKeyAuthEnabled: boolean): string[] {
  return apiKeyAuthEnabled ? ['*'] : [];
}

function toAppConfig(c: RawConfig, env: Record<string, string | undefined>): AppConfig {
  return {
    upstreamKeys: c.OPENROUTER_API_KEYS,
    upstreamBaseUrl: c.OPENROUTER_BASE_URL.replace(/\/+$/, ''),
    port: c.PORT,
    host: c.HOST,
    ...toRedisTarget(c),
    redisPrefix: c.REDIS_PREFIX,
    limits: {
      minIntervalMs: c.KEY_MIN_INTERVAL_MS,
      perMinute: c.KEY_REQUESTS_PER_MINUTE,
      perDay: c.KEY_REQUESTS_PER_DAY,
      perDayExplicit: (env.KEY_REQUESTS_PER_DAY ?? '').trim() !== '',
      spacingScope: c.KEY_MIN_INTERVAL_SCOPE,
      paidPerMinute: c.PAID_REQUESTS_PER_MINUTE,
    },
    declaredAccounts: declaredAccounts(c),
    accountRefreshMs: c.ACCOUNT_REFRESH_MS,
    keyConcurrency: c.KEY_CONCURRENCY,
    queueTimeoutMs: c.QUEUE_TIMEOUT_MS,
    upstreamMaxAttempts: c.UPSTREAM_MAX_ATTEMPTS,
    upstreamBounds: {
      headersTimeoutMs: c.UPSTREAM_HEADERS_TIMEOUT_MS,
      idleTimeoutMs: c.UPSTREAM_IDLE_TIMEOUT_MS,
      maxResponseBytes: c.UPSTREAM_MAX_RESPONSE_BYTES,
    },
    maxBodyBytes: c.MAX_BODY_BYTES,
    bodyReadTimeoutMs: c.BODY_READ_TIMEOUT_MS,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    jobRetentionSeconds: c.JOB_RETENTION_SECONDS,
    background: {
      resultTtlSeconds: c.BACKGROUND_RESULT_TTL_SECONDS,
      maxFileBytes: c.BATCH_MAX_FILE_BYTES,
      maxLines: c.BATCH_MAX_LINES,
      dispatchAheadMs: c.BACKGROUND_DISPATCH_AHEAD_MS,
      callbackSecret: c.CALLBACK_SECRET,
      callbackRetryBaseMs: c.CALLBACK_RETRY_BASE_MS,
      callbackMaxAttempts: c.CALLBACK_MAX_ATTEMPTS,
      clientWeights: clientWeights(c.BACKGROUND_CLIENT_WEIGHTS),
    },
    jobRetentionKeepPrompts: c.JOB_RETENTION_KEEP_PROMPTS,
    apiKeyAuthEnabled: c.API_KEY_AUTH_ENABLED,
    adminAuth: { enabled: c.AUTH_ENABLED, username: c.AUTH_USERNAME, password: c.AUTH_PASSWORD },
    trustProxy: c.TRUST_PROXY,
    corsOrigins: c.CORS_ORIGINS.length > 0 ? c.CORS_ORIGINS : corsDefault(c.API_KEY_AUTH_ENABLED),
    corsDefaulted: c.CORS_ORIGINS.length === 0,
    allowedHosts: c.ALLOWED_HOSTS,
    logLevel: c.LOG_LEVEL,
    logPretty: c.LOG_PRETTY || c.NODE_ENV === 'development',
    testHooks: c.TEST_HOOKS,
    pacingTraceFile: c.PACING_TRACE_FILE,
  };
}

function clientWeights(raw: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const entry of raw.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const [id = '', w = ''] = entry.split('=');
    const weight = Number(w);
    if (id.trim() === '' || !Number.isInteger(weight) || weight < 1 || weight > 1000) {
      throw new ConfigError(`Invalid configuration: BACKGROUND_CLIENT_WEIGHTS entry "${entry}" must be <clientKeyId>=<whole number 1-1000>`);
    }
    weights[id.trim()] = weight;
  }
  return weights;
}

function declaredAccounts(c: RawConfig): DeclaredAccount[] {
  try {
    return parseDeclaredAccounts(c.OPENROUTER_ACCOUNTS, c.OPENROUTER_API_KEYS);
  } catch (err) {
    if (err instanceof DeclaredAccountsError) throw new ConfigError(`Invalid configuration: OPENROUTER_ACCOUNTS ${err.message}`);
    throw err;
  }
}

/**
 * Parses configuration from an environment. The only place that reads process.env;
 * throws a ConfigError whose message is one line naming the variable.
 */
export function parseConfig(env: Record<string, string | undefined>): AppConfig {
  return toAppConfig(parseOrThrow(configSchema, env), env);
}

function parseOrThrow<T>(schema: z.ZodType<T>, env: Record<string, string | undefined>): T {
  const result = schema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = issue?.path.join('.') ?? 'configuration';
    throw new ConfigError(`Invalid configuration: ${variable} ${issue?.message ?? 'is invalid'}`);
  }
  return result.data;
}

/** Only where Redis comes from, for start paths that need no upstream keys (the demo, the tests). */
export function parseRedisTarget(env: Record<string, string | undefined>): RedisTarget {
  return toRedisTarget(parseOrThrow(redisTargetSchema, env));
}

/** The environment: process.env, with `.env` (if present) filling what the real environment leaves unset. */
export function loadEnv(): Record<string, string | undefined> {
  loadDotenv({ quiet: true });
  return process.env;
}

/** Reads `.env` (if present, without overriding the real environment) and parses process.env. */
export function loadConfig(): AppConfig {
  return parseConfig(loadEnv());
}
