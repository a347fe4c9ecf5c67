import { Limits } from './limits.js';

/**
 * The deliveries from retry topics this consumer has dealt with (handled, or re-published again), so that a
 * second copy of one is skipped. A copy appears when a consumer crashes after re-publishing a record and
 * before committing its offset: the record is consumed and re-published once more, with the same origin
 * and attempt headers. Both copies land in the same retry partition (its number follows the origin
 * partition), so the member that reads one reads the other.
 *
 * Best effort: it remembers the last Limits.MAX_RETRY_DEDUPLICATION_ENTRIES deliveries, in memory; a
 * member that crashes between the two copies handles the second as well (at-least-once).
 */
export class RetryDeduplicator {
  /** Insertion-ordered: the oldest entry is dropped first. */
  private readonly seen = new Set<string>();

  constructor(private readonly capacity: number = Limits.MAX_RETRY_DEDUPLICATION_ENTRIES) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be at least 1, not ${capacity}`);
  }

  has(key: string): boolean {
    return this.seen.has(key);
  }

  add(key: string): void {
    if (this.seen.has(key)) return;
    if (this.seen.size >= this.capacity) {
      const oldest = this.seen.values().next().value as string;
      this.seen.delete(oldest);
    }
    this.seen.add(key);
  }

  get size(): number {
    return this.seen.size;
  }
}
