import { grown, IndexFile, readIndexFile } from './index-file.js';
import { invariant } from './invariant.js';
import { Limits } from './limits.js';

export type IndexLoad<T> = { kind: 'loaded'; index: T } | { kind: 'failed'; problem: string };

/**
 * The sparse offset index of one segment (`<baseOffset>.index`): maps an offset to the file position of
 * the batch that holds it, so a read scans at most about index.interval.bytes of the log file.
 *
 * On disk: a sequence of 8-byte entries, big-endian,
 *   relativeOffset u32   the last offset of a batch, minus the segment's base offset
 *   position       u32   byte position of that batch in the segment's .log file
 * both strictly increasing. One entry is added when more than index.interval.bytes were appended since
 * the previous one. `lookup(offset)` returns the position of the greatest entry ≤ offset: the batch there
 * ends at or before `offset`, so the batch holding `offset` is at or after it.
 *
 * The entries are kept in memory (Node has no mmap); see IndexFile for how they reach the file.
 */
export class OffsetIndex extends IndexFile {
  static readonly ENTRY_BYTES = 8;
  private relativeOffsets = new Uint32Array(16);
  private positions = new Uint32Array(16);

  constructor(
    filePath: string,
    readonly baseOffset: number,
  ) {
    super(filePath, OffsetIndex.ENTRY_BYTES);
  }

  /**
   * Loads the index file and checks it: whole entries, strictly increasing offsets and positions, every
   * position inside the log file. An index that fails is reported, never used: the segment rebuilds it.
   * A missing file fails too.
   */
  static load(filePath: string, baseOffset: number, logSizeBytes: number): IndexLoad<OffsetIndex> {
    const bytes = readIndexFile(filePath);
    if (bytes === null) return { kind: 'failed', problem: `${filePath} is missing` };
    if (bytes.length % OffsetIndex.ENTRY_BYTES !== 0) {
      return { kind: 'failed', problem: `${filePath} has ${bytes.length} bytes, not a multiple of 8` };
    }
    const count = bytes.length / OffsetIndex.ENTRY_BYTES;
    const index = new OffsetIndex(filePath, baseOffset);
    index.relativeOffsets = new Uint32Array(Math.max(16, count));
    index.positions = new Uint32Array(Math.max(16, count));
    for (let i = 0; i < count; i++) {
      const relative = bytes.readUInt32BE(i * 8);
      const position = bytes.readUInt32BE(i * 8 + 4);
      if (relative > Limits.MAX_RELATIVE_OFFSET) {
        return {
          kind: 'failed',
          problem: `${filePath} entry ${i}: relative offset ${relative} is out of range`,
        };
      }
      if (position >= logSizeBytes) {
        return {
          kind: 'failed',
          problem: `${filePath} entry ${i}: position ${position} is beyond the log file's ${logSizeBytes} bytes`,
        };
      }
      if (i > 0 && (relative <= index.relativeOffsets[i - 1] || position <= index.positions[i - 1])) {
        return { kind: 'failed', problem: `${filePath} entry ${i}: offsets or positions do not increase` };
      }
      index.relativeOffsets[i] = relative;
      index.positions[i] = position;
    }
    index.markLoaded(count);
    return { kind: 'loaded', index };
  }

  /** Offset of the last entry, or the base offset when empty. */
  get lastOffset(): number {
    return this.count === 0 ? this.baseOffset : this.baseOffset + this.relativeOffsets[this.count - 1];
  }

  /** Position of the last entry, or 0 when empty. */
  get lastPosition(): number {
    return this.count === 0 ? 0 : this.positions[this.count - 1];
  }

  /** Adds an entry: `offset` is the last offset of the batch at `position`. */
  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    invariant(
      relative >= 0 && relative <= Limits.MAX_RELATIVE_OFFSET,
      () => `offset ${offset} is out of the index's range`,
    );
    invariant(
      this.count === 0 ||
        (relative > this.relativeOffsets[this.count - 1] && position > this.positions[this.count - 1]),
      () =>
        `index entries must increase: (${offset}, ${position}) after (${this.lastOffset}, ${this.lastPosition})`,
    );
    this.relativeOffsets = grown(this.relativeOffsets, this.count + 1);
    this.positions = grown(this.positions, this.count + 1);
    this.relativeOffsets[this.count] = relative;
    this.positions[this.count] = position;
    this.count++;
  }

  /** Position of the greatest entry whose offset is ≤ `targetOffset`, or 0. */
  lookup(targetOffset: number): number {
    const slot = this.floorSlot(targetOffset);
    return slot < 0 ? 0 : this.positions[slot];
  }

  /** Drops every entry whose offset is ≥ `offset`. */
  truncateTo(offset: number): void {
    this.truncateEntries(this.floorSlot(offset - 1) + 1);
  }

  reset(): void {
    this.truncateEntries(0);
  }

  protected encodeEntry(buffer: Buffer, at: number, index: number): void {
    buffer.writeUInt32BE(this.relativeOffsets[index], at);
    buffer.writeUInt32BE(this.positions[index], at + 4);
  }

  /** Index of the greatest entry with offset ≤ target, or -1. */
  private floorSlot(targetOffset: number): number {
    const relative = targetOffset - this.baseOffset;
    if (this.count === 0 || relative < this.relativeOffsets[0]) return -1;
    let low = 0;
    let high = this.count - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.relativeOffsets[middle] <= relative) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
