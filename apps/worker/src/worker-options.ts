/**
 * How long an idle Worker blocks on its queue's marker before asking again (BullMQ's drainDelay,
 * default 5 s; 10 s is the most BullMQ advises for Redis). A new job wakes it at once whatever
 * this says; it only sets how often a thousand idle keys poll: once per key per 10 s.
 */
export const IDLE_BLOCK_SECONDS = 10;

/**
 * How often a queue's stalled jobs are looked for (BullMQ's stalledInterval), and how long a job
 * lock lives without renewal (lockDuration, renewed every half of it). A job of a killed worker is
 * re-run within about lock + 2 checks: 10-20 s.
 */
export const STALLED_INTERVAL_MS = 5_000;
export const LOCK_DURATION_MS = 10_000;
export const MAX_STALLED_COUNT = 3;
