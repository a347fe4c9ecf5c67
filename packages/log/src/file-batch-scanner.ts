import {
  BatchLayout,
  batchComputedCrc,
  batchMagic,
  batchStoredCrc,
  CURRENT_MAGIC,
  MIN_BATCH_LENGTH,
  RECORD_BATCH_HEADER_BYTES,
} from './batch-format.js';
import { readFully } from './file-io.js';
import { invariant } from './invariant.js';
import { Limits } from './limits.js';

export type ScanStatus = 'batch' | 'end' | 'invalid';

/**
 * Walks the record batches of a segment file from a position, reading the file in chunks into one reused
 * buffer: no allocation per batch. After `next()` returns `'batch'`, the batch's header (and, with
 * `verifyCrc`, all of it) is at `buffer[batchStart ...]`, and `position` / `sizeBytes` locate it in the file.
 *
 * `'invalid'` means the bytes at `position` are not a whole, well-formed batch (a torn or corrupt tail, or
 * garbage): `problem` says why. The scanner checks the frame (length, magic 2, size limits, and the CRC
 * with `verifyCrc`); offsets are the caller's to check.
 */
export class FileBatchScanner {
  buffer: Buffer;
  /** Index in `buffer` of the current batch. */
  batchStart = 0;
  /** File position of the current batch. */
  position = -1;
  sizeBytes = 0;
  problem = '';
  /** File position of the next batch to read. */
  private nextPosition: number;
  /** The buffer holds file bytes [windowStart, windowEnd). */
  private windowStart = 0;
  private windowEnd = 0;

  constructor(
    private readonly fd: number,
    startPosition: number,
    private readonly endPosition: number,
    private readonly verifyCrc: boolean,
    private readonly chunkBytes: number = Limits.SCAN_CHUNK_BYTES,
  ) {
    invariant(startPosition >= 0 && startPosition <= endPosition, 'scan start must lie within the file');
    this.nextPosition = startPosition;
    this.buffer = Buffer.allocUnsafe(
      Math.min(chunkBytes, Math.max(RECORD_BATCH_HEADER_BYTES, endPosition - startPosition)),
    );
  }

  /** File position just past the last whole batch returned so far: where valid bytes end. */
  get validEndPosition(): number {
    return this.nextPosition;
  }

  next(): ScanStatus {
    const position = this.nextPosition;
    const remaining = this.endPosition - position;
    if (remaining === 0) return 'end';
    if (remaining < RECORD_BATCH_HEADER_BYTES) {
      return this.invalid(position, `only ${remaining} bytes remain, less than a batch header (61)`);
    }
    this.ensure(position, RECORD_BATCH_HEADER_BYTES);
    const start = position - this.windowStart;
    const batchLength = this.buffer.readInt32BE(start + BatchLayout.BATCH_LENGTH);
    if (batchLength < MIN_BATCH_LENGTH) {
      return this.invalid(position, `batch length ${batchLength} is shorter than a batch header`);
    }
    const sizeBytes = batchLength + 12;
    if (sizeBytes > Limits.MAX_BATCH_BYTES) {
      return this.invalid(
        position,
        `batch size ${sizeBytes} exceeds the limit of ${Limits.MAX_BATCH_BYTES} bytes`,
      );
    }
    if (sizeBytes > remaining) {
      return this.invalid(position, `batch declares ${sizeBytes} bytes but only ${remaining} remain`);
    }
    const magic = batchMagic(this.buffer, start);
    if (magic !== CURRENT_MAGIC)
      return this.invalid(position, `magic is ${magic}, expected ${CURRENT_MAGIC}`);
    let batchStart = start;
    if (this.verifyCrc) {
      this.ensure(position, sizeBytes);
      batchStart = position - this.windowStart;
      const stored = batchStoredCrc(this.buffer, batchStart);
      const computed = batchComputedCrc(this.buffer, batchStart, sizeBytes);
      if (stored !== computed) {
        return this.invalid(position, `CRC-32C mismatch: header has ${stored}, bytes give ${computed}`);
      }
    }
    this.batchStart = batchStart;
    this.position = position;
    this.sizeBytes = sizeBytes;
    this.nextPosition = position + sizeBytes;
    return 'batch';
  }

  private invalid(position: number, problem: string): ScanStatus {
    this.position = position;
    this.problem = `at byte ${position}: ${problem}`;
    return 'invalid';
  }

  /** Makes file bytes [position, position + length) available in `buffer`. */
  private ensure(position: number, length: number): void {
    if (position >= this.windowStart && position + length <= this.windowEnd) return;
    const readLength = Math.max(length, Math.min(this.chunkBytes, this.endPosition - position));
    if (readLength > this.buffer.length) this.buffer = Buffer.allocUnsafe(readLength);
    readFully(this.fd, this.buffer, 0, readLength, position);
    this.windowStart = position;
    this.windowEnd = position + readLength;
  }
}
