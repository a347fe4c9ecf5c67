import assert from 'node:assert/strict';
import type { WatchEvent } from './coordination-store.js';

/** Rough bytes held by an event beyond its key and values: the objects and the array slot. */
const EVENT_OVERHEAD_BYTES = 96;

export interface HistoryEntry {
  readonly revision: number;
  /** The changes made at `revision`, in order; never empty. */
  readonly events: readonly WatchEvent[];
  readonly bytes: number;
}

/**
 * The events of the most recent revisions, for watches: a watch reads from here at its own pace, so a slow
 * reader costs no memory of its own, and one that starts or falls behind beyond the oldest kept revision
 * gets `CompactedRevisionError`. Bounded by a number of revisions and by bytes.
 *
 * Revisions are contiguous: every revision of the store changed at least one key, so every revision in
 * (compactedRevision, lastRevision] has exactly one entry.
 */
export class WatchHistory {
  /** entries[head..] are live; the dead prefix is dropped in bulk, to keep eviction O(1) amortised. */
  private entries: HistoryEntry[] = [];
  private head = 0;
  private totalBytes = 0;
  /** Every revision up to and including this one is gone. */
  private compacted: number;

  constructor(
    startRevision: number,
    private readonly revisionsMax: number,
    private readonly bytesMax: number,
  ) {
    assert(revisionsMax >= 1 && bytesMax >= 1);
    this.compacted = startRevision;
  }

  get compactedRevision(): number {
    return this.compacted;
  }

  /** The newest revision kept (the compacted revision when nothing is kept). */
  get lastRevision(): number {
    return this.compacted + this.entries.length - this.head;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  append(revision: number, events: readonly WatchEvent[]): void {
    assert.equal(revision, this.lastRevision + 1, 'history revisions are contiguous');
    assert(events.length > 0, 'a revision has at least one event');
    let bytes = 0;
    for (const event of events) {
      bytes += EVENT_OVERHEAD_BYTES + 2 * event.kv.key.length + event.kv.value.byteLength;
      if (event.type === 'put' && event.previous !== null)
        bytes += EVENT_OVERHEAD_BYTES + event.previous.value.byteLength;
    }
    this.entries.push({ revision, events, bytes });
    this.totalBytes += bytes;
    while (
      this.entries.length - this.head > 1 &&
      (this.entries.length - this.head > this.revisionsMax || this.totalBytes > this.bytesMax)
    ) {
      this.dropOldest();
    }
  }

  /** Forgets every revision up to and including `revision` (at most the last one kept). */
  compact(revision: number): void {
    const target = Math.min(revision, this.lastRevision);
    while (this.compacted < target) this.dropOldest();
  }

  /** The entry of `revision`, which must be kept: compactedRevision < revision <= lastRevision. */
  at(revision: number): HistoryEntry {
    assert(
      revision > this.compacted && revision <= this.lastRevision,
      `revision ${revision} is in the history`,
    );
    const entry = this.entries[this.head + revision - this.compacted - 1];
    assert.equal(entry.revision, revision);
    return entry;
  }

  private dropOldest(): void {
    const entry = this.entries[this.head];
    assert(entry !== undefined);
    this.head += 1;
    this.totalBytes -= entry.bytes;
    this.compacted = entry.revision;
    if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
