import { Gauge, type Registry } from 'prom-client';
import type { KeyStatusReader } from '../status/key-status-reader.js';

const QUEUE_STATES = ['waiting', 'active', 'delayed'] as const;
const KEY_STATES = ['active', 'cooling-down', 'exhausted', 'disabled'] as const;

/** Per-key gauges read from Redis on each scrape: queue depth, key state, today's use. */
export class KeyGauges {
  private readonly queueJobs: Gauge<'key_id' | 'state'>;
  private readonly keyState: Gauge<'key_id' | 'masked' | 'state'>;
  private readonly startedToday: Gauge<'key_id'>;
  private readonly remainingToday: Gauge<'key_id'>;

  constructor(
    registry: Registry,
    private readonly statuses: KeyStatusReader,
  ) {
    const registers = [registry];
    this.queueJobs = new Gauge({
      name: 'ork_queue_jobs',
      help: 'Jobs in each upstream key queue, by state (waiting, active, delayed).',
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
      help: 'Requests started on each upstream key this UTC day.',
      labelNames: ['key_id'],
      registers,
    });
    this.remainingToday = new Gauge({
      name: 'ork_key_requests_remaining_today',
      help: 'Requests each upstream key may still start this UTC day (-1 without a daily limit).',
      labelNames: ['key_id'],
      registers,
    });
  }

  /** One read of every key's state; call right before rendering. */
  async update(): Promise<void> {
    const keys = await this.statuses.readAll();
    for (const key of keys) {
      const key_id = key.id;
      for (const state of QUEUE_STATES) this.queueJobs.set({ key_id, state }, key.queue[state]);
      for (const state of KEY_STATES) this.keyState.set({ key_id, masked: key.key, state }, key.state === state ? 1 : 0);
      this.startedToday.set({ key_id }, key.today.started);
      const perDay = key.limits.perDay;
      this.remainingToday.set({ key_id }, perDay > 0 ? (key.state === 'disabled' ? 0 : Math.max(0, perDay - key.today.started)) : -1);
    }
  }
}
