/** Gateway settings the bench and soak scripts share. */

/** Every limit off, and room for any number of requests in flight per key: the gateway's own cost alone. */
export const LIMITS_OFF = { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0', KEY_CONCURRENCY: '256' } as const;

/**
 * Gateway settings that make its workers stamp every request's departure (x-ork-departed-at), so a
 * scenario checks the limits exactly where they are promised, as the e2e tests do (checkLimits).
 * The fake's own arrival stamps run late on a busy machine (docs/RELIABILITY.md): a short arrival
 * gap is reported beside the verdict, never counted as a violation. TEST_HOOKS needs NODE_ENV=test.
 */
export const DEPARTURE_STAMPS = { NODE_ENV: 'test', TEST_HOOKS: 'true' } as const;
