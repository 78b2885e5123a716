import type { Logger } from 'pino';

// What request-logger.ts puts on every request, declared once.
declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (X-Request-Id, or one made up), also sent back in the answer's header. */
    id?: string;
    /** A child logger bound to the request's id, method and path. */
    log?: Logger;
  }
}
