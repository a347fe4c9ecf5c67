import { invariant } from './invariant.js';

interface Waiter {
  offset: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Group commit: many appends waiting for durability share one fsync.
 *
 * `waitFor(offset)` resolves once every offset below `offset` is on disk. At most one sync runs at a time;
 * it covers everything appended when it started. Appends made while it runs queue up and are all covered
 * by the next sync, so N concurrent appenders cost about one fsync per round, not N.
 *
 * A sync starts on the next turn of the event loop after the first waiter arrives (setImmediate), not at
 * once: appenders released by the previous sync append again in the microtasks of that same turn, and one
 * sync then covers all of them instead of the first alone.
 *
 * Offsets waited for never decrease along the queue (appends assign increasing offsets), except after a
 * truncation, which first rejects the waiters above the new end.
 *
 * Concurrency: single-threaded; `sync` runs on the threadpool while appends continue.
 */
export class GroupCommit {
  /** Every offset below this is durable. Only grows, except when the log is truncated below it. */
  private durable: number;
  /** The sync in flight, and the offset it makes durable when it completes. */
  private running: { target: number } | null = null;
  private readonly waiters: Waiter[] = [];
  private failure: Error | null = null;
  /** A sync start is scheduled for the next turn of the event loop. */
  private startScheduled = false;

  constructor(
    durableOffset: number,
    /** Makes offsets [fromOffset, targetOffset) durable. */
    private readonly sync: (fromOffset: number, targetOffset: number) => Promise<void>,
    /** The log end offset now. */
    private readonly endOffset: () => number,
  ) {
    this.durable = durableOffset;
  }

  get durableOffset(): number {
    return this.durable;
  }

  get isSyncing(): boolean {
    return this.running !== null;
  }

  /** Resolves once offsets below `offset` are durable; rejects if a sync fails (the log is then offline). */
  waitFor(offset: number): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (offset <= this.durable) return Promise.resolve();
    const last = this.waiters[this.waiters.length - 1];
    invariant(last === undefined || last.offset <= offset, 'durability waiters must arrive in offset order');
    const promise = new Promise<void>((resolve, reject) => {
      this.waiters.push({ offset, resolve, reject });
    });
    this.scheduleStart();
    return promise;
  }

  /**
   * The log was truncated to `newEndOffset`: lower the durable offset and the running sync's target to it,
   * and reject the waiters whose data is gone.
   */
  truncated(newEndOffset: number, error: () => Error): void {
    if (this.durable > newEndOffset) this.durable = newEndOffset;
    if (this.running !== null && this.running.target > newEndOffset) this.running.target = newEndOffset;
    while (this.waiters.length > 0 && this.waiters[this.waiters.length - 1].offset > newEndOffset) {
      (this.waiters.pop() as Waiter).reject(error());
    }
  }

  /** The log was emptied and restarted at `offset`: everything waiting is rejected. */
  reset(offset: number, error: () => Error): void {
    if (this.running !== null) this.running.target = Math.min(this.running.target, offset);
    for (const waiter of this.waiters.splice(0)) waiter.reject(error());
    this.durable = offset;
  }

  private scheduleStart(): void {
    if (this.startScheduled || this.running !== null) return;
    this.startScheduled = true;
    setImmediate(() => {
      this.startScheduled = false;
      this.start();
    });
  }

  private start(): void {
    if (this.running !== null || this.waiters.length === 0 || this.failure !== null) return;
    const running = { target: this.endOffset() };
    this.running = running;
    this.sync(this.durable, running.target).then(
      () => {
        this.running = null;
        if (running.target > this.durable) this.durable = running.target;
        while (this.waiters.length > 0 && this.waiters[0].offset <= this.durable) {
          (this.waiters.shift() as Waiter).resolve();
        }
        if (this.waiters.length > 0) this.scheduleStart();
      },
      (error: unknown) => {
        this.running = null;
        this.failure = error instanceof Error ? error : new Error(String(error));
        for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
      },
    );
  }
}
