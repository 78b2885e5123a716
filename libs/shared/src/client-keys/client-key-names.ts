/**
 * Redis names of client keys. WARNING: renaming them orphans every issued key.
 * The Lua scripts derive `:window` and `:day:<n>` from a record's name themselves.
 */
export class ClientKeyNames {
  constructor(readonly prefix: string) {}

  /** Hash: sha256 of a key → its id. The only way from a presented key to its record. */
  byHash(): string {
    return `${this.prefix}:client-keys:by-hash`;
  }

  /** Sorted set of ids by creation time, for listing. */
  index(): string {
    return `${this.prefix}:client-keys:index`;
  }

  /** Prefix that an id completes into a record name. */
  recordPrefix(): string {
    return `${this.prefix}:client-key:`;
  }

  /** Hash of one key: name, hash, masked, rateLimit, active, times and totals. */
  record(id: string): string {
    return `${this.recordPrefix()}${id}`;
  }

  /** Hash of one key's counts for a UTC day. */
  day(id: string, dayNumber: number): string {
    return `${this.record(id)}:day:${dayNumber}`;
  }
}
