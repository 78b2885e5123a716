/**
 * How long an idle Worker blocks on its queue's marker before asking again (BullMQ's drainDelay,
 * default 5 s; 10 s is the most BullMQ advises for Redis). A new job wakes it at once whatever
 * this says; it only sets how often a thousand idle keys poll: once per key per 10 s.
 */
export const IDLE_BLOCK_SECONDS = 10;
