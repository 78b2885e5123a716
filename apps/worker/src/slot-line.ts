import { randomUUID } from 'node:crypto';

/**
 * The free-model jobs of one key in this process, in the order they were fetched: only the head
 * asks acquire.lua for the slot and sleeps until it. Without it every active job of a key
 * (KEY_CONCURRENCY) wakes for the same slot, one wins and the others retry, in no set order.
 * The head leaves the line when its request leaves the worker: the next one then asks at once, and
 * (while no other worker waits for the key) may follow it before its commit, spaced from here.
 */
export class SlotLine {
  /** Names this line to acquire.lua, so that a start may follow the line's previous one (SlotTarget.line). */
  readonly id = randomUUID();
  private tail: Promise<void> = Promise.resolve();
  /** Jobs in the line (the head included) that have not left it. */
  private inLine = 0;
  /** When the line's latest granted request left (performance.now()), once it has. */
  private lastDeparture: Promise<number> = Promise.resolve(-Infinity);

  /**
   * For the head, once granted: when the request before it left (it must leave at least the
   * spacing later), and what to call when it leaves itself (or gives up its slot; at most once counts).
   */
  takeTurn(): { previous: Promise<number>; departed: () => void } {
    const previous = this.lastDeparture;
    let resolve!: (at: number) => void;
    this.lastDeparture = new Promise<number>((r) => {
      resolve = r;
    });
    return { previous, departed: () => resolve(performance.now()) };
  }

  /** Jobs waiting behind the head for a slot of their own (each needs one spacing of the key's time). */
  get behindHead(): number {
    return Math.max(0, this.inLine - 1);
  }

  /** Resolves with `leave` once every job ahead has left; rejects if `signal` aborts first (its place is given up). */
  async enter(signal: AbortSignal): Promise<() => void> {
    let resolveMine!: () => void;
    const mine = new Promise<void>((resolve) => {
      resolveMine = resolve;
    });
    this.inLine++;
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      this.inLine--;
      resolveMine();
    };
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
