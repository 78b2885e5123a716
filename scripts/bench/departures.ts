/**
 * Gateway settings that make its workers stamp every request's departure (x-ork-departed-at), so a
 * scenario checks the limits exactly where they are promised, as the e2e tests do (checkLimits).
 * The fake's own arrival stamps run late on a busy machine (docs/RELIABILITY.md): a short arrival
 * gap is reported beside the verdict, never counted as a violation. TEST_HOOKS needs NODE_ENV=test.
 */
export const DEPARTURE_STAMPS = { NODE_ENV: 'test', TEST_HOOKS: 'true' } as const;
