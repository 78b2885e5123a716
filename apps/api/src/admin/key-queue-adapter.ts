import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { KeyQueue } from '@ork/shared';

/**
 * A key's queue as Bull Board shows it: named by the masked key, read-only (a retried job would
 * spend quota again), with a description that is replaced as the key's state changes.
 */
export class KeyQueueAdapter extends BullMQAdapter {
  private text = 'state not read yet';

  constructor(queue: KeyQueue, maskedKey: string) {
    super(queue, { readOnlyMode: true, displayName: maskedKey });
    // Background work shares the key queues (as prioritised jobs): its name says which it is.
    this.setFormatter('name', (job: { name?: string; data?: { lane?: string } }) => {
      const lane = job.data?.lane;
      if (lane === 'batch') return 'batch line (background)';
      if (lane === 'async') return 'async job (background)';
      return `${job.name ?? 'upstream'} (synchronous)`;
    });
  }

  setDescription(text: string): void {
    this.text = text;
  }

  override getDescription(): string {
    return this.text;
  }
}
