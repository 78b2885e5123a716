import { Gauge, type Registry } from 'prom-client';
import { groupAccounts } from '@ork/shared';
import type { KeyStatusReader } from '../status/key-status-reader.js';

// `background`: of the waiting ones, async jobs and batch lines (see also ork_background_*).
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'background'] as const;
const KEY_STATES = ['active', 'cooling-down', 'exhausted', 'disabled'] as const;

/** Per-key and per-account gauges read from Redis on each scrape: queue depth, state, today's use. */
export class KeyGauges {
  private readonly queueJobs: Gauge<'key_id' | 'state'>;
  private readonly keyState: Gauge<'key_id' | 'masked' | 'state'>;
  private readonly startedToday: Gauge<'key_id'>;
  private readonly remainingToday: Gauge<'key_id'>;
  private readonly keyAccount: Gauge<'key_id' | 'account_id'>;
  private readonly accountUsed: Gauge<'account_id'>;
  private readonly accountLimit: Gauge<'account_id' | 'source'>;
  private readonly accountRemaining: Gauge<'account_id'>;
  private readonly accountMinute: Gauge<'account_id'>;
  private readonly accountKeys: Gauge<'account_id' | 'known'>;

  constructor(
    registry: Registry,
    private readonly statuses: KeyStatusReader,
  ) {
    const registers = [registry];
    this.queueJobs = new Gauge({
      name: 'ork_queue_jobs',
      help: 'Jobs in each upstream key queue, by state (waiting, active, delayed; background: the waiting async jobs and batch lines among them).',
      labelNames: ['key_id', 'state'],
      registers,
    });
    this.keyState = new Gauge({
      name: 'ork_key_state',
      help: 'State of each upstream key: 1 for its current state, 0 for the others; `masked` names the key safely.',
      labelNames: ['key_id', 'masked', 'state'],
      registers,
    });
    this.startedToday = new Gauge({
      name: 'ork_key_requests_today',
      help: 'Free-model requests started on each upstream key this UTC day.',
      labelNames: ['key_id'],
      registers,
    });
    this.remainingToday = new Gauge({
      name: 'ork_key_requests_remaining_today',
      help: "Free-model requests each upstream key may still start this UTC day: its account's remainder (-1 without a daily limit).",
      labelNames: ['key_id'],
      registers,
    });
    this.keyAccount = new Gauge({
      name: 'ork_key_account',
      help: 'Always 1: which account (masked id, declared name, or the key id while unknown) each key belongs to.',
      labelNames: ['key_id', 'account_id'],
      registers,
    });
    this.accountUsed = new Gauge({
      name: 'ork_account_requests_today',
      help: "Free-model requests of each account this UTC day (ours, or upstream's figure plus ours since, whichever is more).",
      labelNames: ['account_id'],
      registers,
    });
    this.accountLimit = new Gauge({
      name: 'ork_account_daily_limit',
      help: 'Daily free-model ceiling in force for each account (-1 without one); `source`: upstream, config or learned.',
      labelNames: ['account_id', 'source'],
      registers,
    });
    this.accountRemaining = new Gauge({
      name: 'ork_account_requests_remaining_today',
      help: 'Free-model requests each account may still make this UTC day (-1 without a daily limit).',
      labelNames: ['account_id'],
      registers,
    });
    this.accountMinute = new Gauge({
      name: 'ork_account_requests_this_minute',
      help: 'Free-model requests each account started in the last 60 s.',
      labelNames: ['account_id'],
      registers,
    });
    this.accountKeys = new Gauge({
      name: 'ork_account_keys',
      help: 'Keys of each account; `known` is false for a key counted alone until upstream names its account.',
      labelNames: ['account_id', 'known'],
      registers,
    });
  }

  /** One read of every key's state; call right before rendering. */
  async update(): Promise<void> {
    const keys = await this.statuses.readAll();
    this.keyAccount.reset();
    for (const key of keys) {
      const key_id = key.id;
      for (const state of QUEUE_STATES) this.queueJobs.set({ key_id, state }, key.queue[state]);
      for (const state of KEY_STATES) this.keyState.set({ key_id, masked: key.key, state }, key.state === state ? 1 : 0);
      this.startedToday.set({ key_id }, key.today.started);
      const perDay = key.limits.perDay;
      this.remainingToday.set({ key_id }, perDay > 0 ? (key.state === 'disabled' ? 0 : Math.max(0, perDay - key.account.used)) : -1);
      this.keyAccount.set({ key_id, account_id: key.accountId }, 1);
    }
    // Accounts come and go as keys join them: drop series of accounts that no longer exist.
    for (const g of [this.accountUsed, this.accountLimit, this.accountRemaining, this.accountMinute, this.accountKeys]) g.reset();
    for (const a of groupAccounts(keys)) {
      const account_id = a.id;
      this.accountUsed.set({ account_id }, a.today.used);
      this.accountLimit.set({ account_id, source: a.today.limitSource }, a.today.limit ?? -1);
      this.accountRemaining.set({ account_id }, a.today.remaining ?? -1);
      this.accountMinute.set({ account_id }, a.minute.used);
      this.accountKeys.set({ account_id, known: String(a.known) }, a.keys.length);
    }
  }
}
