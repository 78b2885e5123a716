import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

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

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream;

/**
 * pino-pretty is a dev dependency: production images do not have it, so it is looked up only
 * when asked for, and its absence falls back to JSON instead of failing.
 */
function prettyStream(): DestinationStream | undefined {
  try {
    const pretty = createRequire(import.meta.url)('pino-pretty') as PrettyFactory;
    // Synchronous, so nothing is lost when a process exits right after logging.
    return pretty({ colorize: process.stdout.isTTY, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  } catch {
    return undefined;
  }
}

/** JSON lines by default; human-readable with `pretty` (LOG_PRETTY=true or NODE_ENV=development). */
export function createLogger(name: string, level: LoggerOptions['level'] = 'info', pretty = false): Logger {
  const options: LoggerOptions = {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  const stream = pretty ? prettyStream() : undefined;
  const logger = stream ? pino(options, stream) : pino(options);
  if (pretty && !stream) logger.warn('LOG_PRETTY is on but pino-pretty is not installed (production install): logging JSON');
  return logger;
}
