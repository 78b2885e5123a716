/**
 * Names of our own Redis keys. WARNING: renaming strands the counters and queued state of
 * a running deployment. The Lua scripts derive the per-key suffixes from `keyBase` themselves.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** Base of one upstream key's state: `:state` hash, `:minute` zset, `:pending` zset, `:day:<n>` hashes. */
  keyBase(keyId: string): string {
    return `${this.prefix}:key:${keyId}`;
  }

  keyState(keyId: string): string {
    return `${this.keyBase(keyId)}:state`;
  }

  keyMinute(keyId: string): string {
    return `${this.keyBase(keyId)}:minute`;
  }

  keyPending(keyId: string): string {
    return `${this.keyBase(keyId)}:pending`;
  }

  keyDay(keyId: string, dayNumber: number): string {
    return `${this.keyBase(keyId)}:day:${dayNumber}`;
  }

  cancel(requestId: string): string {
    return `${this.prefix}:cancel:${requestId}`;
  }

  cancelChannel(): string {
    return `${this.prefix}:cancel`;
  }

  streamStarted(requestId: string): string {
    return `${this.prefix}:streamed:${requestId}`;
  }

  replies(instanceId: string): string {
    return `${this.prefix}:replies:${instanceId}`;
  }
}
