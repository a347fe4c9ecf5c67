import { grown, IndexFile, readIndexFile } from './index-file.js';
import { invariant } from './invariant.js';
import { Limits } from './limits.js';
import type { IndexLoad } from './offset-index.js';

/**
 * The sparse time index of one segment (`<baseOffset>.timeindex`): from a timestamp to an offset before
 * which no batch has a timestamp at or above it, so a search by timestamp starts close to its answer.
 *
 * On disk: a sequence of 12-byte entries, big-endian,
 *   timestamp      i64   the largest batch max timestamp in the segment so far
 *   relativeOffset u32   last offset of the batch that carries it, minus the segment's base offset
 * timestamps strictly increasing, offsets non-decreasing. An entry is considered at the same moments as an
 * offset index entry (and once more when the segment stops being active), and added only when the
 * timestamp grew.
 */
export class TimeIndex extends IndexFile {
  static readonly ENTRY_BYTES = 12;
  private timestamps = new Float64Array(16);
  private relativeOffsets = new Uint32Array(16);

  constructor(
    filePath: string,
    readonly baseOffset: number,
  ) {
    super(filePath, TimeIndex.ENTRY_BYTES);
  }

  /** Loads and checks the file as OffsetIndex.load does; a failing or missing index is rebuilt. */
  static load(filePath: string, baseOffset: number): IndexLoad<TimeIndex> {
    const bytes = readIndexFile(filePath);
    if (bytes === null) return { kind: 'failed', problem: `${filePath} is missing` };
    if (bytes.length % TimeIndex.ENTRY_BYTES !== 0) {
      return { kind: 'failed', problem: `${filePath} has ${bytes.length} bytes, not a multiple of 12` };
    }
    const count = bytes.length / TimeIndex.ENTRY_BYTES;
    const index = new TimeIndex(filePath, baseOffset);
    index.timestamps = new Float64Array(Math.max(16, count));
    index.relativeOffsets = new Uint32Array(Math.max(16, count));
    for (let i = 0; i < count; i++) {
      const at = i * TimeIndex.ENTRY_BYTES;
      const timestamp = bytes.readInt32BE(at) * 2 ** 32 + bytes.readUInt32BE(at + 4);
      const relative = bytes.readUInt32BE(at + 8);
      if (relative > Limits.MAX_RELATIVE_OFFSET) {
        return {
          kind: 'failed',
          problem: `${filePath} entry ${i}: relative offset ${relative} is out of range`,
        };
      }
      if (i > 0 && (timestamp <= index.timestamps[i - 1] || relative < index.relativeOffsets[i - 1])) {
        return { kind: 'failed', problem: `${filePath} entry ${i}: timestamps or offsets do not increase` };
      }
      index.timestamps[i] = timestamp;
      index.relativeOffsets[i] = relative;
    }
    index.markLoaded(count);
    return { kind: 'loaded', index };
  }

  /** Largest timestamp indexed, or -1 when empty. */
  get lastTimestamp(): number {
    return this.count === 0 ? -1 : this.timestamps[this.count - 1];
  }

  /** Offset of the last entry, or the base offset when empty. */
  get lastOffset(): number {
    return this.count === 0 ? this.baseOffset : this.baseOffset + this.relativeOffsets[this.count - 1];
  }

  /** Adds (timestamp, offset) if `timestamp` is larger than every indexed one. */
  maybeAppend(timestamp: number, offset: number): void {
    if (this.count > 0 && timestamp <= this.timestamps[this.count - 1]) return;
    const relative = offset - this.baseOffset;
    invariant(
      relative >= 0 && relative <= Limits.MAX_RELATIVE_OFFSET,
      () => `offset ${offset} is out of the index's range`,
    );
    invariant(
      this.count === 0 || relative >= this.relativeOffsets[this.count - 1],
      () => `time index offsets must not decrease: ${offset} after ${this.lastOffset}`,
    );
    this.timestamps = grown(this.timestamps, this.count + 1);
    this.relativeOffsets = grown(this.relativeOffsets, this.count + 1);
    this.timestamps[this.count] = timestamp;
    this.relativeOffsets[this.count] = relative;
    this.count++;
  }

  /**
   * An offset from which to search for the first batch with a timestamp ≥ `targetTimestamp`: the offset of
   * the greatest entry whose timestamp is < target (every batch up to it is below target), or the base.
   */
  lookup(targetTimestamp: number): number {
    let low = 0;
    let high = this.count - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.timestamps[middle] < targetTimestamp) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found < 0 ? this.baseOffset : this.baseOffset + this.relativeOffsets[found];
  }

  /** Drops every entry whose offset is ≥ `offset`. */
  truncateTo(offset: number): void {
    const relative = offset - this.baseOffset;
    let keep = this.count;
    while (keep > 0 && this.relativeOffsets[keep - 1] >= relative) keep--;
    this.truncateEntries(keep);
  }

  reset(): void {
    this.truncateEntries(0);
  }

  protected encodeEntry(buffer: Buffer, at: number, index: number): void {
    const timestamp = this.timestamps[index];
    const high = Math.floor(timestamp / 2 ** 32);
    buffer.writeInt32BE(high, at);
    buffer.writeUInt32BE(timestamp - high * 2 ** 32, at + 4);
    buffer.writeUInt32BE(this.relativeOffsets[index], at + 8);
  }
}
