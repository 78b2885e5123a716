/**
 * The free-model jobs of one key in this process, in the order they were fetched: only the head
 * asks acquire.lua for the slot and sleeps until it. Without it every active job of a key
 * (KEY_CONCURRENCY) wakes for the same slot, one wins and the others retry, in no set order.
 */
export class SlotLine {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves with `leave` once every job ahead has left; rejects if `signal` aborts first (its place is given up). */
  async enter(signal: AbortSignal): Promise<() => void> {
    let leave!: () => void;
    const mine = new Promise<void>((resolve) => {
      leave = resolve;
    });
    const ahead = this.tail;
    this.tail = ahead.then(() => mine);
    if (signal.aborted) {
      leave();
      throw signal.reason;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        // Those behind still wait for the ones ahead, not for this one.
        leave();
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void ahead.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    return leave;
  }
}
