/**
 * Fetch requests that wait for data (`max_wait_ms`, `min_bytes`), as Kafka's delayed-fetch purgatory: each
 * waiter watches the partitions it asked for; an append to one of them tells the waiter how many bytes
 * arrived, and the waiter completes once enough have, or when its time is up, whichever comes first.
 * A waiter completes exactly once.
 */

export interface DelayedFetch {
  /** Partition keys (`topic\0partition`) the fetch reads. */
  readonly partitionKeys: readonly string[];
  /** Bytes the fetch still needs before it may answer. */
  bytesNeeded: number;
  /** Called once, on enough bytes, timeout or shutdown. */
  readonly complete: () => void;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Most fetches that may wait at once; more are answered at once instead (a limit, as for every queue). */
export const MAX_DELAYED_FETCHES = 100_000;

export class DelayedFetchPurgatory {
  private readonly watchers = new Map<string, Set<Waiter>>();
  private waiting = 0;

  get size(): number {
    return this.waiting;
  }

  /** Parks `fetch` for up to `maxWaitMs`; returns false (nothing parked) when the purgatory is full. */
  tryPark(fetch: DelayedFetch, maxWaitMs: number): boolean {
    if (this.waiting >= MAX_DELAYED_FETCHES) return false;
    const waiter: Waiter = { fetch, timer: undefined, done: false };
    waiter.timer = setTimeout(() => this.finish(waiter), maxWaitMs);
    for (const key of fetch.partitionKeys) {
      let set = this.watchers.get(key);
      if (!set) {
        set = new Set();
        this.watchers.set(key, set);
      }
      set.add(waiter);
    }
    this.waiting++;
    return true;
  }

  /** An append of `bytes` to a partition: wakes the waiters that now have enough. */
  onAppend(topic: string, partition: number, bytes: number): void {
    const set = this.watchers.get(partitionKey(topic, partition));
    if (!set) return;
    for (const waiter of [...set]) {
      waiter.fetch.bytesNeeded -= bytes;
      if (waiter.fetch.bytesNeeded <= 0) this.finish(waiter);
    }
  }

  /** Wakes every waiter on a partition whatever it needs (the partition was deleted or changed leader). */
  onPartitionChanged(topic: string, partition: number): void {
    const set = this.watchers.get(partitionKey(topic, partition));
    if (set) for (const waiter of [...set]) this.finish(waiter);
  }

  /** Completes every waiter now (shutdown). */
  completeAll(): void {
    for (const set of [...this.watchers.values()]) for (const waiter of [...set]) this.finish(waiter);
  }

  private finish(waiter: Waiter): void {
    if (waiter.done) return;
    waiter.done = true;
    clearTimeout(waiter.timer);
    for (const key of waiter.fetch.partitionKeys) {
      const set = this.watchers.get(key);
      if (!set) continue;
      set.delete(waiter);
      if (set.size === 0) this.watchers.delete(key);
    }
    this.waiting--;
    waiter.fetch.complete();
  }
}

interface Waiter {
  readonly fetch: DelayedFetch;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}
