import type { SimRecord } from './types.js';

export const MAX_RECORDS = 200_000;

/**
 * Bounded in-memory log. Trimming happens in batches so a long benchmark pays an
 * occasional splice instead of an O(n) shift on every request.
 */
export class RecordStore {
  private items: SimRecord[] = [];
  private nextSeq = 1;

  constructor(private readonly max = MAX_RECORDS) {}

  nextSequence(): number {
    return this.nextSeq++;
  }

  push(record: SimRecord): void {
    this.items.push(record);
    if (this.items.length > this.max) {
      this.items.splice(0, this.items.length - this.max + Math.ceil(this.max / 10));
    }
  }

  /** Records with seq greater than `afterSeq`, oldest first. */
  snapshot(afterSeq = 0): SimRecord[] {
    if (afterSeq <= 0) return this.items.slice();
    // seq is strictly increasing, so binary search finds the cut point.
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.items[mid] as SimRecord).seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    return this.items.slice(lo);
  }

  clear(): void {
    this.items = [];
    this.nextSeq = 1;
  }
}
