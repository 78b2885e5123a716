/**
 * Every name of our own Redis keys, for TS and (through the prelude lua-script.ts renders from
 * the same constants) for Lua. WARNING: renaming strands the counters, issued client keys and
 * queued state of a running deployment (README, "Upgrade notes"). BullMQ's own keys are named by
 * BullMQ (QueueKeys) from our queue names (queue-names.ts).
 *
 * Redis Cluster: every name here starts with `<prefix>:{<prefix>}`, one hash tag, so that every
 * script and MULTI of ours stays in one slot and each limit decision stays one atomic step. The
 * queues (job data, the bulk of what Redis holds) carry a hash tag per key queue and spread.
 */

/** The start of every name of ours: the prefix, then the hash tag that keeps them in one cluster slot. */
export function ownRoot(prefix: string): string {
  return `${prefix}:{${prefix}}`;
}

/**
 * Suffixes after a base: of one upstream key (`<prefix>:key:<keyId>`), of one account
 * (`<prefix>:acct:<ref>`, the same layout), and of a client key's record.
 */
export const KEY_SUFFIX = {
  /**
   * Hash: last start, sendingUntil, disabled, routeIn (which routing-index zset holds it) (a key's); cooldownUntil, exhaustedUntil, dayLimit, dayLimitUntil,
   * upstream's figures (upLimit, upUsed, upStarted, upDay), masked, source (an account's).
   */
  state: ':state',
  /** Zset of free-model starts in the sliding minute (members from startMember()). */
  minute: ':minute',
  /** Zset of free-model requests routed to the key and not started yet, scored by expiry. */
  pending: ':pending',
  /** Zset of paid-model requests routed to the key and not started yet, scored by expiry. */
  paidPending: ':paid-pending',
  /** Zset of paid-model starts in the sliding minute (PAID_REQUESTS_PER_MINUTE). */
  paidMinute: ':paid-minute',
  /** Hash of a UTC day's counts: `<base>:day:<dayNumber>` (upstream keys and client keys alike). */
  day: ':day:',
  /** Lock: one process probes a disabled key at a time. */
  probe: ':probe',
  /** Lock: one process reads a key's `GET /key` (account discovery) per round. */
  accountProbe: ':account-probe',
  /** Zset: a client key's sliding minute. */
  window: ':window',
  /** Set of an account's key bases (account-join.lua), so its keys' routing follows its state. */
  members: ':keys',
} as const;

/**
 * The routing index, named after the account map it sits next to (RedisKeys.accountOfKey()):
 * zsets of key bases that route.lua reads best first (see lua/common.lua), and the limits they were
 * computed with. Derived state: rebuilt by route-index-sync.lua, safe to delete.
 */
export const ROUTE_INDEX_SUFFIX = {
  /** Keys free now, by the delay their queued work adds. */
  ready: ':route-ready',
  /** Keys free later, by their estimated start. */
  waiting: ':route-waiting',
  /** Keys whose account is done for today, by when that lapses. */
  spent: ':route-spent',
  /** Usable keys by paid-model work waiting. */
  paid: ':route-paid',
  /** Hash of the limits the index holds (interval, perMinute, perDay, explicit, scope, paidPerMinute). */
  config: ':route-config',
} as const;

export const keyStateOf = (base: string): string => base + KEY_SUFFIX.state;
export const keyMinuteOf = (base: string): string => base + KEY_SUFFIX.minute;
export const keyPendingOf = (base: string): string => base + KEY_SUFFIX.pending;
export const keyPaidPendingOf = (base: string): string => base + KEY_SUFFIX.paidPending;
export const keyDayOf = (base: string, dayNumber: number): string => `${base}${KEY_SUFFIX.day}${dayNumber}`;
export const keyProbeOf = (base: string): string => base + KEY_SUFFIX.probe;

/** Names under the deployment's REDIS_PREFIX. */
export class RedisKeys {
  /** `<prefix>:{<prefix>}`: see ownRoot(). */
  readonly root: string;

  constructor(readonly prefix: string) {
    this.root = ownRoot(prefix);
  }

  /** Base of one upstream key's state; the per-key names are `key*Of(base)` (the Lua scripts get bases). */
  keyBase(keyId: string): string {
    return `${this.root}:key:${keyId}`;
  }

  keyState(keyId: string): string {
    return keyStateOf(this.keyBase(keyId));
  }

  keyMinute(keyId: string): string {
    return keyMinuteOf(this.keyBase(keyId));
  }

  keyPending(keyId: string): string {
    return keyPendingOf(this.keyBase(keyId));
  }

  keyDay(keyId: string, dayNumber: number): string {
    return keyDayOf(this.keyBase(keyId), dayNumber);
  }

  keyProbe(keyId: string): string {
    return keyProbeOf(this.keyBase(keyId));
  }

  /**
   * Base of one account's shared state (`:state`, `:minute`, `:day:<n>`, suffixes as for a key).
   * A key whose account is not known is its own account: its base is its key base.
   */
  accountBase(accountRef: string): string {
    return `${this.root}:acct:${accountRef}`;
  }

  /** Hash: key base → account base, for every key whose account is known. Read by the limit scripts. */
  accountOfKey(): string {
    return `${this.root}:accounts:by-key`;
  }

  /** Lock: one process reads `GET /key` for a key per round. */
  accountProbe(keyId: string): string {
    return this.keyBase(keyId) + KEY_SUFFIX.accountProbe;
  }

  cancel(requestId: string): string {
    return `${this.root}:cancel:${requestId}`;
  }

  cancelChannel(): string {
    return `${this.root}:cancel`;
  }

  streamStarted(requestId: string): string {
    return `${this.root}:streamed:${requestId}`;
  }

  /** Another cached upstream catalogue (`embeddings/models`, a model's endpoints), shared by every API process. */
  catalogCache(upstreamPath: string): string {
    return `${this.root}:catalog:${upstreamPath}`;
  }

  /** Which upstream key made a generation (its id only), for `GET /generation`; short-lived. */
  generation(generationId: string): string {
    return `${this.root}:generation:${generationId}`;
  }

  replies(instanceId: string): string {
    return `${this.root}:replies:${instanceId}`;
  }

  /** An API process's last heartbeat (Redis time, ms): workers drop the jobs of a process gone silent. */
  apiHeartbeat(instanceId: string): string {
    return `${this.root}:api-alive:${instanceId}`;
  }

  /**
   * Zset: key ids on whose queue some worker process holds (or held) an active job, scored by
   * when it last said so (epoch ms). Workers run BullMQ's stalled-job check only on these queues
   * (and on all of them in a sweep now and then). Derived state: safe to delete.
   */
  keyQueuesWithActiveJobs(): string {
    return `${this.root}:queues-active`;
  }

  /** One stored Idempotency-Key answer, by the sha256 of its scope and key. */
  idempotency(hash: string): string {
    return `${this.root}:idem:${hash}`;
  }

  /** Cached upstream model list. */
  modelsCache(): string {
    return `${this.root}:models`;
  }

  /** Hash holding every series of one metric. */
  metric(metricName: string): string {
    return `${this.root}:metrics:${metricName}`;
  }

  /** Failed upstream attempts of one minute (epoch minutes), by outcome; expires after about an hour. */
  upstreamErrors(minuteNumber: number): string {
    return `${this.root}:upstream-errors:${minuteNumber}`;
  }

  /** Zset: clients with background work waiting, scored by their fair-share virtual time. */
  backgroundClients(): string {
    return `${this.root}:bg:clients`;
  }

  /** Prefix that a client id completes into backgroundAsyncBacklog() (the Lua scripts build it). */
  backgroundAsyncBacklogPrefix(): string {
    return `${this.root}:bg:async-backlog:`;
  }

  /** List: a client's async job ids waiting for dispatch, oldest first. */
  backgroundAsyncBacklog(clientId: string): string {
    return this.backgroundAsyncBacklogPrefix() + clientId;
  }

  /** Prefix that a client id completes into backgroundClientBatches(). */
  backgroundClientBatchesPrefix(): string {
    return `${this.root}:bg:client-batches:`;
  }

  /** List: a client's batch ids that still have lines waiting for dispatch, oldest first. */
  backgroundClientBatches(clientId: string): string {
    return this.backgroundClientBatchesPrefix() + clientId;
  }

  /** Prefix that a batch id completes into batchBacklog(). */
  batchBacklogPrefix(): string {
    return `${this.root}:bg:batch-backlog:`;
  }

  /** List: a batch's item ids waiting for dispatch, in input order. */
  batchBacklog(batchId: string): string {
    return this.batchBacklogPrefix() + batchId;
  }

  /** Hash: one background item (an async job or a batch line): request, state, result. */
  backgroundItem(itemId: string): string {
    return `${this.root}:bg:item:${itemId}`;
  }

  /** Zset: items moved into a key queue and not answered yet, scored by when to give up on them. */
  backgroundInflight(): string {
    return `${this.root}:bg:inflight`;
  }

  /** Lock: one dispatcher (of every worker process) moves background work at a time. */
  backgroundDispatchLock(): string {
    return `${this.root}:bg:dispatch-lock`;
  }

  /** String: epoch ms until which the pool has no capacity for background work (a UTC reset), as the dispatcher last saw. */
  backgroundBlockedUntil(): string {
    return `${this.root}:bg:blocked-until`;
  }

  /** Zset: a client's async job ids by creation time (the list route). */
  asyncJobsOf(clientId: string): string {
    return `${this.root}:bg:async-jobs:${clientId}`;
  }

  /** Zset: async job ids whose callback is due, scored by the next try's time. */
  callbacksDue(): string {
    return `${this.root}:bg:callbacks`;
  }

  /** Hash: one batch (OpenAI's Batch object fields and counters). */
  batch(batchId: string): string {
    return `${this.root}:bg:batch:${batchId}`;
  }

  /** Zset: a client's batch ids by creation time (the list route). */
  batchesOf(clientId: string): string {
    return `${this.root}:bg:batches:${clientId}`;
  }

  /** List: a batch's finished lines in OpenAI's output format; `kind` error: its error file. */
  batchResults(batchId: string, kind: 'output' | 'error'): string {
    return `${this.root}:bg:batch-${kind}:${batchId}`;
  }

  /** Hash: one file's metadata (OpenAI's File object fields, and its owner). */
  file(fileId: string): string {
    return `${this.root}:bg:file:${fileId}`;
  }

  /** String: one file's content. */
  fileContent(fileId: string): string {
    return `${this.root}:bg:file-content:${fileId}`;
  }

  /** Test suite only (TEST_HOOKS): ms the limit scripts add to Redis TIME; see lua/test-clock.lua. */
  testClockOffset(): string {
    return `${this.root}:test:clock-offset-ms`;
  }
}

/** Redis names of client keys. WARNING: renaming them orphans every issued key. */
export class ClientKeyNames {
  private readonly root: string;

  constructor(readonly prefix: string) {
    this.root = ownRoot(prefix);
  }

  /** Hash: sha256 of a key → its id. The only way from a presented key to its record. */
  byHash(): string {
    return `${this.root}:client-keys:by-hash`;
  }

  /** Sorted set of ids by creation time, for listing. */
  index(): string {
    return `${this.root}:client-keys:index`;
  }

  /** Prefix that an id completes into a record name. */
  recordPrefix(): string {
    return `${this.root}:client-key:`;
  }

  /** Hash of one key: name, hash, masked, rateLimit, active, times and totals. */
  record(id: string): string {
    return `${this.recordPrefix()}${id}`;
  }

  /** Zset of the key's requests in its sliding minute. */
  window(id: string): string {
    return this.record(id) + KEY_SUFFIX.window;
  }

  /** Hash of one key's counts for a UTC day. */
  day(id: string, dayNumber: number): string {
    return keyDayOf(this.record(id), dayNumber);
  }
}
