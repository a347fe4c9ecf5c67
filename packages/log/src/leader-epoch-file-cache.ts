import path from 'node:path';
import type { Logger } from 'pino';
import {
  CheckpointFile,
  type CheckpointFormat,
  parseIntegerField,
  parseOffsetField,
} from './checkpoint-file.js';
import { invariant } from './invariant.js';
import { Limits } from './limits.js';
import { LEADER_EPOCH_CHECKPOINT_FILE } from './log-file-names.js';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

const EPOCH_ENTRY_FORMAT: CheckpointFormat<EpochEntry> = {
  toLine: (entry) => `${entry.epoch} ${entry.startOffset}`,
  fromLine: (line) => {
    const fields = line.split(' ');
    if (fields.length !== 2) return null;
    const epoch = parseIntegerField(fields[0]);
    const startOffset = parseOffsetField(fields[1]);
    if (epoch === null || epoch < 0 || startOffset === null) return null;
    return { epoch, startOffset };
  },
};

export type EpochCacheLoad = 'loaded' | 'missing' | 'corrupt';

/**
 * The leader epoch cache of a partition: for each leader epoch, the first offset written in it. Followers
 * use it to find where their log diverges from a new leader's (OffsetForLeaderEpoch), and ListOffsets
 * reports epochs from it.
 *
 * On disk: `leader-epoch-checkpoint`, a CheckpointFile of `<epoch> <startOffset>` lines, rewritten
 * atomically (synchronously: epochs change rarely) whenever the cache changes.
 *
 * Invariant: epochs and start offsets both strictly increase along the entries.
 * Concurrency: owned by one Log, used from its single thread.
 */
export class LeaderEpochFileCache {
  private entries: EpochEntry[] = [];
  private readonly checkpoint: CheckpointFile<EpochEntry>;

  private constructor(
    directory: string,
    private readonly logger: Logger,
  ) {
    this.checkpoint = new CheckpointFile(
      path.join(directory, LEADER_EPOCH_CHECKPOINT_FILE),
      EPOCH_ENTRY_FORMAT,
    );
  }

  /** Loads the checkpoint; a missing or unreadable one gives an empty cache for the log to rebuild. */
  static load(directory: string, logger: Logger): { cache: LeaderEpochFileCache; status: EpochCacheLoad } {
    const cache = new LeaderEpochFileCache(directory, logger);
    try {
      const entries = cache.checkpoint.read();
      if (entries === null) return { cache, status: 'missing' };
      for (let i = 1; i < entries.length; i++) {
        if (
          entries[i].epoch <= entries[i - 1].epoch ||
          entries[i].startOffset <= entries[i - 1].startOffset
        ) {
          throw new Error(`entry ${i} (${entries[i].epoch} ${entries[i].startOffset}) does not increase`);
        }
      }
      cache.entries = entries;
      return { cache, status: 'loaded' };
    } catch (error) {
      logger.warn({ err: error }, 'leader epoch checkpoint is unreadable; rebuilding it from the log');
      return { cache, status: 'corrupt' };
    }
  }

  get latestEpoch(): number | null {
    return this.entries.length === 0 ? null : this.entries[this.entries.length - 1].epoch;
  }

  /** A copy of the entries, oldest first. */
  allEntries(): EpochEntry[] {
    return this.entries.map((entry) => ({ ...entry }));
  }

  /**
   * Records that `epoch` starts at `startOffset` (a batch of that epoch was appended there). No change if
   * `epoch` is already the latest; entries that would break monotonicity are dropped, as in Kafka.
   * With `persist` false the checkpoint is not rewritten (bulk rebuilds call `persist()` once at the end).
   */
  assign(epoch: number, startOffset: number, persist = true): void {
    if (epoch < 0) return;
    const latest = this.entries[this.entries.length - 1];
    if (latest !== undefined && latest.epoch === epoch && latest.startOffset <= startOffset) return;
    let keep = this.entries.length;
    while (
      keep > 0 &&
      (this.entries[keep - 1].epoch >= epoch || this.entries[keep - 1].startOffset >= startOffset)
    ) {
      keep--;
    }
    if (keep < this.entries.length) {
      this.logger.warn(
        { epoch, startOffset, removed: this.entries.slice(keep) },
        'new leader epoch entry replaces entries that are not below it',
      );
      this.entries.length = keep;
    }
    invariant(
      this.entries.length < Limits.MAX_LEADER_EPOCH_ENTRIES,
      'too many leader epochs in one partition',
    );
    this.entries.push({ epoch, startOffset });
    if (persist) this.persist();
  }

  /** The epoch of the batch holding `offset`: the latest entry starting at or before it. */
  epochForOffset(offset: number): number | null {
    let found: number | null = null;
    for (const entry of this.entries) {
      if (entry.startOffset > offset) break;
      found = entry.epoch;
    }
    return found;
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch ≤ `requestedEpoch` and the offset where the epoch after it
   * starts (the log end offset for the latest epoch). Null when the requested epoch is unknown and newer
   * than every entry, or the cache is empty. A requested epoch older than every entry answers with itself
   * and the first entry's start offset.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { epoch: number; endOffset: number } | null {
    if (requestedEpoch < 0 || this.entries.length === 0) return null;
    const latest = this.entries[this.entries.length - 1];
    if (requestedEpoch === latest.epoch) return { epoch: latest.epoch, endOffset: logEndOffset };
    const higherIndex = this.entries.findIndex((entry) => entry.epoch > requestedEpoch);
    if (higherIndex < 0) return null;
    const higher = this.entries[higherIndex];
    if (higherIndex === 0) return { epoch: requestedEpoch, endOffset: higher.startOffset };
    return { epoch: this.entries[higherIndex - 1].epoch, endOffset: higher.startOffset };
  }

  /** After a truncation to `endOffset`: drops entries starting at or after it. */
  truncateFromEnd(endOffset: number): void {
    let keep = this.entries.length;
    while (keep > 0 && this.entries[keep - 1].startOffset >= endOffset) keep--;
    if (keep === this.entries.length) return;
    this.entries.length = keep;
    this.persist();
  }

  /**
   * After the log start moved to `startOffset`: entries starting at or before it collapse into one, the
   * latest of them, now starting at `startOffset`.
   */
  truncateFromStart(startOffset: number): void {
    let removed = 0;
    while (removed < this.entries.length && this.entries[removed].startOffset <= startOffset) removed++;
    if (removed === 0) return;
    const kept = this.entries[removed - 1];
    if (removed === 1 && kept.startOffset === startOffset) return;
    this.entries.splice(0, removed, { epoch: kept.epoch, startOffset });
    this.persist();
  }

  clearAndPersist(): void {
    this.entries = [];
    this.persist();
  }

  persist(): void {
    this.checkpoint.writeSync(this.entries);
  }
}
