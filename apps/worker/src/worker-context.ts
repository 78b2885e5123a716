import type { RedisClient } from '@ork/shared';
import type { Logger } from 'pino';
import type { CancelListener, KeyLimits, KeyQueues, MetricsRecorder, RedisKeys, ReplyWriter, SlotTarget, UpstreamKey } from '@ork/shared';
import type { UpstreamClient } from './upstream/upstream-client.js';
import type { AccountDiscovery } from './account-discovery.js';
import type { SlotLine } from './slot-line.js';
import type { PacingTrace } from './pacing-trace.js';

/** Everything the job handler of one key needs; built once per key at start-up. */
export interface KeyWorkerContext {
  redis: RedisClient;
  /** acquire.lua and commit.lua only (with their queue holds): the round trips between two departures. */
  slotRedis: RedisClient;
  redisKeys: RedisKeys;
  limits: KeyLimits;
  key: UpstreamKey;
  slot: SlotTarget;
  /** Which account each key belongs to; re-read after upstream refuses or limits a key. */
  accounts: AccountDiscovery;
  /** Every key's queue, to move requests between keys. */
  queues: KeyQueues;
  upstream: UpstreamClient;
  replies: ReplyWriter;
  cancels: CancelListener;
  /** Upstream attempts one request may use before its last error goes to the client. */
  maxAttempts: number;
  /** This process's writer of the deployment's counters (shared by every key). */
  metrics: MetricsRecorder;
  /** This key's spaced jobs in this process take their slots in turn. */
  slotLine: SlotLine;
  /** Benchmarks only: the time of each step of a spaced slot (PACING_TRACE_FILE). */
  trace: PacingTrace;
  logger: Logger;
}
