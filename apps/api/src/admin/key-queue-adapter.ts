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
  }

  setDescription(text: string): void {
    this.text = text;
  }

  override getDescription(): string {
    return this.text;
  }
}
