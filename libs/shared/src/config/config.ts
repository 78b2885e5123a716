import { config as loadDotenv } from 'dotenv';
import { configSchema, type RawConfig } from './config-schema.js';
import { ConfigError } from '../errors/config-error.js';

/** Limits applied to every upstream key; 0 means "off" for minute and day. */
export interface KeyLimits {
  minIntervalMs: number;
  perMinute: number;
  perDay: number;
}

export interface AppConfig {
  upstreamKeys: string[];
  upstreamBaseUrl: string;
  port: number;
  host: string;
  redisUrl: string;
  redisPrefix: string;
  limits: KeyLimits;
  keyConcurrency: number;
  queueTimeoutMs: number;
  upstreamMaxAttempts: number;
  maxBodyBytes: number;
  shutdownTimeoutMs: number;
  apiKeyAuthEnabled: boolean;
  adminAuth: { enabled: boolean; username: string; password: string };
  /** TRUST_PROXY entries (`loopback`, `private`, addresses, CIDRs); empty trusts no proxy. */
  trustProxy: string[];
  corsOrigins: string[];
  logLevel: RawConfig['LOG_LEVEL'];
  logPretty: boolean;
}

function toAppConfig(c: RawConfig): AppConfig {
  return {
    upstreamKeys: c.OPENROUTER_API_KEYS,
    upstreamBaseUrl: c.OPENROUTER_BASE_URL.replace(/\/+$/, ''),
    port: c.PORT,
    host: c.HOST,
    redisUrl: c.REDIS_URL,
    redisPrefix: c.REDIS_PREFIX,
    limits: {
      minIntervalMs: c.KEY_MIN_INTERVAL_MS,
      perMinute: c.KEY_REQUESTS_PER_MINUTE,
      perDay: c.KEY_REQUESTS_PER_DAY,
    },
    keyConcurrency: c.KEY_CONCURRENCY,
    queueTimeoutMs: c.QUEUE_TIMEOUT_MS,
    upstreamMaxAttempts: c.UPSTREAM_MAX_ATTEMPTS,
    maxBodyBytes: c.MAX_BODY_BYTES,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    apiKeyAuthEnabled: c.API_KEY_AUTH_ENABLED,
    adminAuth: { enabled: c.AUTH_ENABLED, username: c.AUTH_USERNAME, password: c.AUTH_PASSWORD },
    trustProxy: c.TRUST_PROXY,
    corsOrigins: c.CORS_ORIGINS,
    logLevel: c.LOG_LEVEL,
    logPretty: c.LOG_PRETTY || c.NODE_ENV === 'development',
  };
}

/**
 * Parses configuration from an environment. The only place that reads process.env;
 * throws a ConfigError whose message is one line naming the variable.
 */
export function parseConfig(env: Record<string, string | undefined>): AppConfig {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = issue?.path.join('.') ?? 'configuration';
    throw new ConfigError(`Invalid configuration: ${variable} ${issue?.message ?? 'is invalid'}`);
  }
  return toAppConfig(result.data);
}

/** Reads `.env` (if present, without overriding the real environment) and parses process.env. */
export function loadConfig(): AppConfig {
  loadDotenv({ quiet: true });
  return parseConfig(process.env);
}
