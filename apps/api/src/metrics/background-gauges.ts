import { Gauge, type Registry } from 'prom-client';
import type { RedisClient } from '@ork/shared';
import { readBackgroundSummary, type RedisKeys } from '@ork/shared';

/** Background work (async jobs, batch lines) read on each scrape, apart from the synchronous queue gauges. */
export class BackgroundGauges {
  private readonly waiting: Gauge<'lane'>;
  private readonly inKeyQueues: Gauge;
  private readonly clients: Gauge;
  private readonly callbacks: Gauge;

  constructor(
    registry: Registry,
    private readonly redis: RedisClient,
    private readonly redisKeys: RedisKeys,
  ) {
    const registers = [registry];
    this.waiting = new Gauge({
      name: 'ork_background_waiting',
      help: 'Background requests waiting in the backlog (not in any key queue yet), by lane (async, batch).',
      labelNames: ['lane'],
      registers,
    });
    this.inKeyQueues = new Gauge({ name: 'ork_background_in_key_queues', help: 'Background requests moved into a key queue and not answered yet.', registers });
    this.clients = new Gauge({ name: 'ork_background_clients', help: 'Clients with background work waiting (fair-share rotation).', registers });
    this.callbacks = new Gauge({ name: 'ork_background_callbacks_due', help: 'Async-job callbacks waiting for their (next) delivery.', registers });
  }

  async update(): Promise<void> {
    const s = await readBackgroundSummary(this.redis, this.redisKeys);
    this.waiting.set({ lane: 'async' }, s.waiting.async);
    this.waiting.set({ lane: 'batch' }, s.waiting.batch);
    this.inKeyQueues.set(s.inKeyQueues);
    this.clients.set(s.clients.length);
    this.callbacks.set(s.callbacksDue);
  }
}
