import { pino, type Logger, type LoggerOptions } from 'pino';

/** Paths that can hold a key, in our objects and in pino-http's req/res serialisations. */
export const REDACT_PATHS = [
  'authorization',
  'secret',
  'apiKey',
  'api_key',
  '*.authorization',
  '*.secret',
  '*.apiKey',
  '*.api_key',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.query.api_key',
  'headers.authorization',
  'headers["x-api-key"]',
];

export function createLogger(name: string, level: LoggerOptions['level'] = 'info'): Logger {
  return pino({
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // The query string may carry ?api_key=; log the path only.
    serializers: { err: pino.stdSerializers.err },
  });
}
