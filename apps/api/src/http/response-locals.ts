import type { ClientTokens } from '@ork/shared';
import type { UpstreamLogFacts } from '../completions/upstream-facts.js';

// What handlers learn about a request and later middleware reads (`res.locals`), declared once.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own extension point.
  namespace Express {
    interface Locals {
      /** The admitted client key's id (client-auth); also marks a request already admitted. */
      clientKeyId?: string;
      /** The worker's facts about the upstream side, for the request log line. */
      upstream?: UpstreamLogFacts;
      /** Tokens the answer used, added to the client key's totals once the response is done. */
      usage?: ClientTokens;
      /** Why the gateway refused (e.g. daily_limit_reached), for the request metrics. */
      errorCode?: string;
    }
  }
}
