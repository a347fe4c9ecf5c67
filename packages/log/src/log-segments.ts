import { invariant } from './invariant.js';
import type { LogSegment } from './log-segment.js';

/**
 * The segments of one log, ordered by base offset. The last one is the active segment. Segments cover
 * disjoint, increasing offset ranges; there may be gaps between them (after truncation of a torn
 * segment, or batches a leader's compaction removed), never overlaps.
 *
 * Concurrency: owned by one Log, changed only from its (single) thread.
 */
export class LogSegments {
  /** Sorted by baseOffset, strictly increasing. */
  private readonly segments: LogSegment[] = [];

  get count(): number {
    return this.segments.length;
  }

  get isEmpty(): boolean {
    return this.segments.length === 0;
  }

  /** Total bytes of all segment files. */
  get sizeBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.sizeBytes;
    return total;
  }

  get first(): LogSegment {
    invariant(this.segments.length > 0, 'a log always has at least one segment');
    return this.segments[0];
  }

  get active(): LogSegment {
    invariant(this.segments.length > 0, 'a log always has at least one segment');
    return this.segments[this.segments.length - 1];
  }

  /** Adds a segment after every other one (a roll) or in order (loading). */
  add(segment: LogSegment): void {
    const last = this.segments[this.segments.length - 1];
    if (last === undefined || last.baseOffset < segment.baseOffset) {
      this.segments.push(segment);
      return;
    }
    const at = this.segments.findIndex((existing) => existing.baseOffset >= segment.baseOffset);
    invariant(
      this.segments[at].baseOffset !== segment.baseOffset,
      () => `two segments at ${segment.baseOffset}`,
    );
    this.segments.splice(at, 0, segment);
  }

  remove(segment: LogSegment): void {
    const at = this.segments.indexOf(segment);
    invariant(at >= 0, () => `segment ${segment.baseOffset} is not in the log`);
    this.segments.splice(at, 1);
  }

  /** The segment with the greatest base offset ≤ `offset`, or undefined. */
  floor(offset: number): LogSegment | undefined {
    const at = this.floorIndex(offset);
    return at < 0 ? undefined : this.segments[at];
  }

  /** The segment after `segment`, or undefined for the active one. */
  next(segment: LogSegment): LogSegment | undefined {
    const at = this.segments.indexOf(segment);
    invariant(at >= 0, () => `segment ${segment.baseOffset} is not in the log`);
    return this.segments[at + 1];
  }

  /** All segments, oldest first (a copy: safe to change the log while iterating). */
  all(): LogSegment[] {
    return this.segments.slice();
  }

  /** Segments that may hold offsets ≥ `offset`: the floor segment and every later one. */
  from(offset: number): LogSegment[] {
    return this.segments.slice(Math.max(0, this.floorIndex(offset)));
  }

  private floorIndex(offset: number): number {
    let low = 0;
    let high = this.segments.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.segments[middle].baseOffset <= offset) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }
}
