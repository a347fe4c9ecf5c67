import fs from 'node:fs';
import type { Logger } from 'pino';
import {
  batchAttributes,
  batchBaseOffset,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchPartitionLeaderEpoch,
  batchSizeBytes,
  isCompressed,
  isLogAppendTime,
  NO_TIMESTAMP,
} from './batch-format.js';
import { FileBatchScanner } from './file-batch-scanner.js';
import { fdatasync, fileSizeBytes, readFully, unlinkIfExists, writeFully, writevFully } from './file-io.js';
import { invariant } from './invariant.js';
import { Limits } from './limits.js';
import {
  DELETED_FILE_SUFFIX,
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  offsetFilePath,
  TIME_INDEX_FILE_SUFFIX,
} from './log-file-names.js';
import { OffsetIndex } from './offset-index.js';
import { findRecordAtOrAfterTimestamp, foundRecord } from './record-walker.js';
import { TimeIndex } from './time-index.js';

/** The settings a segment reads live from its log's config (updateConfig changes them in place). */
export interface SegmentSettings {
  indexIntervalBytes: number;
  segmentIndexBytes: number;
}

/** A batch located in a segment file. */
export interface BatchLocation {
  position: number;
  baseOffset: number;
  sizeBytes: number;
}

/** What a search by timestamp found. */
export interface TimestampAndOffset {
  offset: number;
  timestampMs: number;
  leaderEpoch: number;
}

/** Called for each valid batch during recovery; the batch's bytes are at `buffer[batchStart ...]`. */
export type BatchVisitor = (buffer: Buffer, batchStart: number) => void;

export interface RecoveryResult {
  /** Bytes cut from the end of the file because they were not whole, valid batches. */
  truncatedBytes: number;
  /** Why the scan stopped early, when it did. */
  problem: string | null;
}

/**
 * One segment of a partition log: `<baseOffset>.log`, the record batches exactly as appended (base offset
 * and leader epoch rewritten by the leader), back to back, and its two sparse indexes, `.index`
 * (OffsetIndex) and `.timeindex` (TimeIndex).
 *
 * Every batch in the segment has offsets in [baseOffset, baseOffset + 2^31 - 1]; batch offsets increase
 * through the file. Only the last segment of a log (the active one) is appended to.
 *
 * Indexes are loaded lazily on first use and checked then; an index that fails its check is rebuilt from
 * the log file, never used. The active segment keeps its index entries in memory and writes them at
 * flush, roll and close.
 *
 * Concurrency: all methods are synchronous except `sync` and `close`; the owning Log calls them from one
 * thread, so an append, a read and a truncation never interleave. `sync` (fdatasync on the threadpool)
 * may run while appends continue; `close` waits for running syncs before closing the files.
 */
export class LogSegment {
  /** Bytes of whole batches in the .log file (the file is exactly this long). */
  sizeBytes: number;
  /** Wall-clock creation (or opening) time: the segment.ms reference when no batch has a timestamp. */
  createdMs: number;
  /** Max timestamp of the first batch, the segment.ms reference (Kafka's rollingBasedTimestamp); -1 if none. */
  private rollingBasedTimestampMs = NO_TIMESTAMP;
  private logPath: string;
  private logFd: number;
  private offsetIndexSlot: OffsetIndex | null = null;
  private timeIndexSlot: TimeIndex | null = null;
  /** Whether nextOffset, maxTimestampSoFar, offsetOfMaxTimestampSoFar and bytesSinceLastIndexEntry are known. */
  private tailKnown = false;
  private nextOffsetValue: number;
  private maxTimestampSoFar = NO_TIMESTAMP;
  private offsetOfMaxTimestampSoFar = -1;
  private bytesSinceLastIndexEntry = 0;
  private runningSyncs = 0;
  private syncsDone: (() => void)[] = [];
  /** Scratch result of `locate`, reused. */
  private readonly located: BatchLocation = { position: -1, baseOffset: -1, sizeBytes: 0 };
  /** Batches appended with deferWrite and not yet written; they belong at `deferredFrom` on. */
  private readonly deferred: Buffer[] = [];
  private deferredFrom = 0;

  private constructor(
    readonly directory: string,
    readonly baseOffset: number,
    private readonly settings: SegmentSettings,
    private readonly logger: Logger,
    logFd: number,
    sizeBytes: number,
    nowMs: number,
  ) {
    this.logPath = offsetFilePath(directory, baseOffset, LOG_FILE_SUFFIX);
    this.logFd = logFd;
    this.sizeBytes = sizeBytes;
    this.createdMs = nowMs;
    this.nextOffsetValue = baseOffset;
  }

  /** Creates a new, empty segment and its files. */
  static create(
    directory: string,
    baseOffset: number,
    settings: SegmentSettings,
    logger: Logger,
    nowMs: number,
  ): LogSegment {
    const logPath = offsetFilePath(directory, baseOffset, LOG_FILE_SUFFIX);
    const { O_RDWR, O_CREAT, O_EXCL } = fs.constants;
    const fd = fs.openSync(logPath, O_RDWR | O_CREAT | O_EXCL, 0o644);
    const segment = new LogSegment(directory, baseOffset, settings, logger, fd, 0, nowMs);
    unlinkIfExists(offsetFilePath(directory, baseOffset, INDEX_FILE_SUFFIX));
    unlinkIfExists(offsetFilePath(directory, baseOffset, TIME_INDEX_FILE_SUFFIX));
    segment.offsetIndexSlot = new OffsetIndex(
      offsetFilePath(directory, baseOffset, INDEX_FILE_SUFFIX),
      baseOffset,
    );
    segment.timeIndexSlot = new TimeIndex(
      offsetFilePath(directory, baseOffset, TIME_INDEX_FILE_SUFFIX),
      baseOffset,
    );
    segment.offsetIndexSlot.touch();
    segment.timeIndexSlot.touch();
    segment.tailKnown = true;
    return segment;
  }

  /** Opens an existing segment; its indexes and tail are loaded when first needed. */
  static open(
    directory: string,
    baseOffset: number,
    settings: SegmentSettings,
    logger: Logger,
    nowMs: number,
  ): LogSegment {
    const fd = fs.openSync(offsetFilePath(directory, baseOffset, LOG_FILE_SUFFIX), fs.constants.O_RDWR);
    return new LogSegment(directory, baseOffset, settings, logger, fd, fileSizeBytes(fd), nowMs);
  }

  /** The offset after the last batch (the base offset when empty). */
  get nextOffset(): number {
    this.ensureTail();
    return this.nextOffsetValue;
  }

  /** Largest batch max timestamp in the segment, or -1. */
  get maxTimestampMs(): number {
    this.ensureTail();
    return this.maxTimestampSoFar;
  }

  /** Last offset of the batch carrying the largest timestamp, or -1. */
  get offsetOfMaxTimestamp(): number {
    this.ensureTail();
    return this.offsetOfMaxTimestampSoFar;
  }

  /** Retention's notion of age: the largest timestamp, or the file's modification time without one. */
  largestTimestampMs(): number {
    const max = this.maxTimestampMs;
    return max >= 0 ? max : fs.fstatSync(this.logFd).mtimeMs;
  }

  get isEmpty(): boolean {
    return this.sizeBytes === 0;
  }

  /** Whether either index has reached segment.index.bytes (the log then rolls). */
  get indexesFull(): boolean {
    const bytes = this.settings.segmentIndexBytes;
    return (
      this.offsetIndex.entryCount >= Math.max(1, Math.floor(bytes / OffsetIndex.ENTRY_BYTES)) ||
      this.timeIndex.entryCount >= Math.max(1, Math.floor(bytes / TimeIndex.ENTRY_BYTES))
    );
  }

  /** Whether offsets up to `offset` can be stored relative to the base offset. */
  canHoldOffset(offset: number): boolean {
    return offset - this.baseOffset <= Limits.MAX_RELATIVE_OFFSET && offset >= this.baseOffset;
  }

  /**
   * How long the segment has been filling, for segment.ms: the incoming batch's timestamp minus the first
   * batch's (Kafka's rule), or wall-clock time since creation when there is no timestamp.
   */
  timeWaitedForRollMs(nowMs: number, incomingMaxTimestampMs: number): number {
    if (this.rollingBasedTimestampMs >= 0 && incomingMaxTimestampMs >= 0) {
      return incomingMaxTimestampMs - this.rollingBasedTimestampMs;
    }
    return nowMs - this.createdMs;
  }

  /**
   * Writes `records` (whole, validated batches with their final offsets, back to back) at the end of the
   * file and indexes them. On a failed write the file is cut back to its previous length and the error
   * rethrown. With `deferWrite` the batches are indexed and counted now but written by the next
   * `writeDeferred` (one writev for a group of appends); until then, nothing may read or sync the segment.
   */
  append(records: Buffer, deferWrite = false): void {
    this.ensureTail();
    const startPosition = this.sizeBytes;
    if (deferWrite) {
      if (this.deferred.length === 0) this.deferredFrom = startPosition;
      this.deferred.push(records);
    } else {
      this.writeDeferred();
      try {
        writeFully(this.logFd, records, 0, records.length, startPosition);
      } catch (error) {
        fs.ftruncateSync(this.logFd, startPosition);
        throw error;
      }
    }
    let at = 0;
    while (at < records.length) {
      this.indexBatch(records, at, startPosition + at);
      at += batchSizeBytes(records, at);
    }
    invariant(at === records.length, 'appended records must be whole batches');
    this.sizeBytes = startPosition + records.length;
  }

  /**
   * Writes the batches appended with `deferWrite`, in order, with one writev. On a failed write the file is
   * cut back to where they start and the error rethrown (the log then goes offline).
   */
  writeDeferred(): void {
    if (this.deferred.length === 0) return;
    const buffers = this.deferred.splice(0);
    try {
      writevFully(this.logFd, buffers, this.deferredFrom);
    } catch (error) {
      fs.ftruncateSync(this.logFd, this.deferredFrom);
      throw error;
    }
  }

  /** Forgets the batches appended with `deferWrite` (the log went offline before writing them). */
  discardDeferred(): void {
    this.deferred.length = 0;
  }

  private assertWritten(operation: string): void {
    invariant(
      this.deferred.length === 0,
      () => `${operation} on segment ${this.baseOffset} before its deferred write`,
    );
  }

  /** Updates the tail state and the indexes for the batch at `buffer[batchStart]`, stored at `position`. */
  private indexBatch(buffer: Buffer, batchStart: number, position: number): void {
    const baseOffset = batchBaseOffset(buffer, batchStart);
    const lastOffset = baseOffset + batchLastOffsetDelta(buffer, batchStart);
    const maxTimestamp = batchMaxTimestamp(buffer, batchStart);
    invariant(
      baseOffset >= this.nextOffsetValue && this.canHoldOffset(lastOffset),
      () =>
        `batch [${baseOffset}, ${lastOffset}] cannot follow offset ${this.nextOffsetValue - 1} in segment ${this.baseOffset}`,
    );
    if (position === 0) this.rollingBasedTimestampMs = maxTimestamp;
    if (maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp;
      this.offsetOfMaxTimestampSoFar = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.settings.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += batchSizeBytes(buffer, batchStart);
    this.nextOffsetValue = lastOffset + 1;
  }

  /**
   * Finds the first batch whose last offset is ≥ `offset`, scanning from the index's hint. Returns the
   * (reused) location, or null when every batch of the segment ends before `offset`.
   */
  locate(offset: number): BatchLocation | null {
    this.assertWritten('a read');
    const start = this.offsetIndex.lookup(offset);
    const scanner = new FileBatchScanner(this.logFd, start, this.sizeBytes, false, Limits.LOCATE_CHUNK_BYTES);
    for (;;) {
      const status = scanner.next();
      if (status === 'end') return null;
      if (status === 'invalid') {
        throw new Error(`segment ${this.logPath} is unreadable ${scanner.problem}`);
      }
      const baseOffset = batchBaseOffset(scanner.buffer, scanner.batchStart);
      if (baseOffset + batchLastOffsetDelta(scanner.buffer, scanner.batchStart) >= offset) {
        this.located.position = scanner.position;
        this.located.baseOffset = baseOffset;
        this.located.sizeBytes = scanner.sizeBytes;
        return this.located;
      }
    }
  }

  /**
   * Whole batches from the one holding `startOffset`: at most `maxBytes` (but the first batch whole when
   * `minOneMessage`), none with a base offset ≥ `maxOffset`. Null when the segment has no batch at or after
   * `startOffset` (the log then tries the next segment).
   */
  read(
    startOffset: number,
    maxBytes: number,
    maxOffset: number,
    minOneMessage: boolean,
  ): { records: Buffer; firstBatchBaseOffset: number } | null {
    const location = this.locate(startOffset);
    if (location === null) return null;
    const { position, baseOffset, sizeBytes: firstSizeBytes } = location;
    if (baseOffset >= maxOffset) return { records: EMPTY, firstBatchBaseOffset: startOffset };
    let length = Math.min(maxBytes, this.sizeBytes - position);
    if (firstSizeBytes > length) {
      if (!minOneMessage) return { records: EMPTY, firstBatchBaseOffset: startOffset };
      length = firstSizeBytes;
    }
    const buffer = Buffer.allocUnsafe(length);
    readFully(this.logFd, buffer, 0, length, position);
    // Keep whole batches only, none starting at or after maxOffset.
    let end = firstSizeBytes;
    while (end + 12 <= length) {
      const size = batchSizeBytes(buffer, end);
      if (end + size > length || batchBaseOffset(buffer, end) >= maxOffset) break;
      end += size;
    }
    return { records: end === length ? buffer : buffer.subarray(0, end), firstBatchBaseOffset: baseOffset };
  }

  /**
   * The first record at or after `startingOffset` whose timestamp is ≥ `targetTimestampMs`: exact for
   * uncompressed CreateTime batches (their records are walked), the batch's first offset otherwise.
   */
  findOffsetByTimestamp(targetTimestampMs: number, startingOffset: number): TimestampAndOffset | null {
    this.assertWritten('a timestamp search');
    const fromOffset = Math.max(this.timeIndex.lookup(targetTimestampMs), startingOffset);
    const scanner = new FileBatchScanner(
      this.logFd,
      this.offsetIndex.lookup(fromOffset),
      this.sizeBytes,
      false,
    );
    for (;;) {
      const status = scanner.next();
      if (status === 'end') return null;
      if (status === 'invalid') throw new Error(`segment ${this.logPath} is unreadable ${scanner.problem}`);
      const buffer = scanner.buffer;
      const start = scanner.batchStart;
      const baseOffset = batchBaseOffset(buffer, start);
      const lastOffset = baseOffset + batchLastOffsetDelta(buffer, start);
      const maxTimestamp = batchMaxTimestamp(buffer, start);
      if (lastOffset < startingOffset || maxTimestamp < targetTimestampMs) continue;
      const attributes = batchAttributes(buffer, start);
      const leaderEpoch = batchPartitionLeaderEpoch(buffer, start);
      if (!isCompressed(attributes) && !isLogAppendTime(attributes)) {
        const whole = Buffer.allocUnsafe(scanner.sizeBytes);
        readFully(this.logFd, whole, 0, scanner.sizeBytes, scanner.position);
        if (findRecordAtOrAfterTimestamp(whole, 0, scanner.sizeBytes, targetTimestampMs, startingOffset)) {
          return { offset: foundRecord.offset, timestampMs: foundRecord.timestampMs, leaderEpoch };
        }
      }
      return { offset: Math.max(baseOffset, startingOffset), timestampMs: maxTimestamp, leaderEpoch };
    }
  }

  /** Calls `visit` with the header of every batch of the segment, in order (headers only, no CRC check). */
  forEachBatchHeader(visit: BatchVisitor): void {
    this.assertWritten('a scan');
    const scanner = new FileBatchScanner(this.logFd, 0, this.sizeBytes, false);
    for (;;) {
      const status = scanner.next();
      if (status === 'end') return;
      if (status === 'invalid') throw new Error(`segment ${this.logPath} is unreadable ${scanner.problem}`);
      visit(scanner.buffer, scanner.batchStart);
    }
  }

  /**
   * Re-reads every batch, checking frame, CRC-32C and offsets, rebuilds both indexes, and cuts the file
   * after the last valid batch. `visitor` sees each valid batch (leader epochs, producer state).
   * `expectedNextOffset` is the smallest base offset the first batch may have.
   */
  recover(expectedNextOffset: number, visitor: BatchVisitor | null): RecoveryResult {
    // Fresh indexes: the files' contents are replaced below, so they are not loaded (or checked) first.
    this.offsetIndexSlot ??= new OffsetIndex(
      offsetFilePath(this.directory, this.baseOffset, INDEX_FILE_SUFFIX),
      this.baseOffset,
    );
    this.timeIndexSlot ??= new TimeIndex(
      offsetFilePath(this.directory, this.baseOffset, TIME_INDEX_FILE_SUFFIX),
      this.baseOffset,
    );
    const offsetIndex = this.offsetIndexSlot;
    const timeIndex = this.timeIndexSlot;
    offsetIndex.reset();
    timeIndex.reset();
    this.nextOffsetValue = Math.max(this.baseOffset, expectedNextOffset);
    this.maxTimestampSoFar = NO_TIMESTAMP;
    this.offsetOfMaxTimestampSoFar = -1;
    this.bytesSinceLastIndexEntry = 0;
    this.rollingBasedTimestampMs = NO_TIMESTAMP;
    this.tailKnown = true;
    const fileSize = fileSizeBytes(this.logFd);
    const scanner = new FileBatchScanner(this.logFd, 0, fileSize, true);
    let problem: string | null = null;
    for (;;) {
      const status = scanner.next();
      if (status === 'end') break;
      if (status === 'invalid') {
        problem = scanner.problem;
        break;
      }
      const buffer = scanner.buffer;
      const start = scanner.batchStart;
      const baseOffset = batchBaseOffset(buffer, start);
      const lastOffsetDelta = batchLastOffsetDelta(buffer, start);
      if (
        baseOffset < this.nextOffsetValue ||
        lastOffsetDelta < 0 ||
        !this.canHoldOffset(baseOffset + lastOffsetDelta)
      ) {
        problem =
          `at byte ${scanner.position}: batch offsets [${baseOffset}, ${baseOffset + lastOffsetDelta}] cannot ` +
          `follow offset ${this.nextOffsetValue - 1} in a segment based at ${this.baseOffset}`;
        break;
      }
      this.indexBatch(buffer, start, scanner.position);
      visitor?.(buffer, start);
    }
    const validBytes = problem === null ? fileSize : scanner.position;
    if (validBytes < fileSize) fs.ftruncateSync(this.logFd, validBytes);
    this.sizeBytes = validBytes;
    offsetIndex.rewrite();
    timeIndex.rewrite();
    return { truncatedBytes: fileSize - validBytes, problem };
  }

  /**
   * Removes every batch whose last offset is ≥ `offset` (so a batch holding `offset` goes whole).
   * Returns the bytes removed.
   */
  truncateTo(offset: number, nowMs: number): number {
    this.assertWritten('truncation');
    this.ensureTail();
    const location = this.locate(offset);
    if (location === null) return 0;
    const position = location.position;
    const removed = this.sizeBytes - position;
    this.offsetIndex.truncateTo(offset);
    this.timeIndex.truncateTo(offset);
    fs.ftruncateSync(this.logFd, position);
    this.sizeBytes = position;
    if (position === 0) {
      this.createdMs = nowMs;
      this.rollingBasedTimestampMs = NO_TIMESTAMP;
    }
    this.tailKnown = false;
    this.ensureTail();
    return removed;
  }

  /** When a newer segment takes over: index the largest timestamp and write both indexes whole. */
  onBecomeInactive(): void {
    this.assertWritten('a roll');
    this.ensureTail();
    if (this.maxTimestampSoFar >= 0) {
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
    }
    this.offsetIndex.writePending();
    this.timeIndex.writePending();
  }

  /** Writes index entries still only in memory to the index files (no fsync). */
  writeIndexes(): void {
    if (this.offsetIndexSlot !== null) this.offsetIndexSlot.writePending();
    if (this.timeIndexSlot !== null) this.timeIndexSlot.writePending();
  }

  /** fdatasync the log file, and with `includeIndexes` write and fsync the index files too. */
  async sync(includeIndexes: boolean): Promise<void> {
    this.assertWritten('a sync');
    this.runningSyncs++;
    try {
      await fdatasync(this.logFd);
      if (includeIndexes) {
        this.writeIndexes();
        await Promise.all([this.offsetIndexSlot?.sync(), this.timeIndexSlot?.sync()]);
      }
    } finally {
      this.runningSyncs--;
      if (this.runningSyncs === 0) {
        for (const done of this.syncsDone.splice(0)) done();
      }
    }
  }

  /** Renames the three files to `*.deleted`; the segment stays readable through its open descriptors. */
  renameToDeleted(): void {
    const deletedLogPath = this.logPath + DELETED_FILE_SUFFIX;
    fs.renameSync(this.logPath, deletedLogPath);
    this.logPath = deletedLogPath;
    const indexPath = offsetFilePath(this.directory, this.baseOffset, INDEX_FILE_SUFFIX);
    const timeIndexPath = offsetFilePath(this.directory, this.baseOffset, TIME_INDEX_FILE_SUFFIX);
    if (this.offsetIndexSlot !== null) this.offsetIndexSlot.renameTo(indexPath + DELETED_FILE_SUFFIX);
    else if (fs.existsSync(indexPath)) fs.renameSync(indexPath, indexPath + DELETED_FILE_SUFFIX);
    if (this.timeIndexSlot !== null) this.timeIndexSlot.renameTo(timeIndexPath + DELETED_FILE_SUFFIX);
    else if (fs.existsSync(timeIndexPath)) fs.renameSync(timeIndexPath, timeIndexPath + DELETED_FILE_SUFFIX);
  }

  /** Closes the files once no sync is running. */
  async close(): Promise<void> {
    this.assertWritten('closing');
    if (this.runningSyncs > 0) await new Promise<void>((resolve) => this.syncsDone.push(resolve));
    this.offsetIndexSlot?.close();
    this.timeIndexSlot?.close();
    if (this.logFd >= 0) {
      fs.closeSync(this.logFd);
      this.logFd = -1;
    }
  }

  /** Closes the segment and removes its files (under whatever name they have now). */
  async closeAndDeleteFiles(): Promise<void> {
    await this.close();
    unlinkIfExists(this.logPath);
    const suffix = this.logPath.endsWith(DELETED_FILE_SUFFIX) ? DELETED_FILE_SUFFIX : '';
    unlinkIfExists(offsetFilePath(this.directory, this.baseOffset, INDEX_FILE_SUFFIX) + suffix);
    unlinkIfExists(offsetFilePath(this.directory, this.baseOffset, TIME_INDEX_FILE_SUFFIX) + suffix);
  }

  /**
   * Checks the segment's tail on a clean open: indexes load and pass their checks, and the batches after
   * the last index entry are whole and in offset order up to the end of the file. False means the caller
   * must `recover` the segment.
   */
  checkTail(): boolean {
    try {
      this.ensureTail();
      return true;
    } catch (error) {
      this.logger.warn({ segment: this.logPath, err: error }, 'segment tail failed its check');
      return false;
    }
  }

  private get offsetIndex(): OffsetIndex {
    if (this.offsetIndexSlot === null) this.loadIndexes();
    return this.offsetIndexSlot as OffsetIndex;
  }

  private get timeIndex(): TimeIndex {
    if (this.timeIndexSlot === null) this.loadIndexes();
    return this.timeIndexSlot as TimeIndex;
  }

  /** Loads both indexes, checking them; rebuilds both from the log file if either fails. */
  private loadIndexes(): void {
    const indexPath = offsetFilePath(this.directory, this.baseOffset, INDEX_FILE_SUFFIX);
    const timeIndexPath = offsetFilePath(this.directory, this.baseOffset, TIME_INDEX_FILE_SUFFIX);
    const offsetLoad = OffsetIndex.load(indexPath, this.baseOffset, this.sizeBytes);
    const timeLoad = TimeIndex.load(timeIndexPath, this.baseOffset);
    let problem: string | null = null;
    if (offsetLoad.kind === 'failed') problem = offsetLoad.problem;
    else if (timeLoad.kind === 'failed') problem = timeLoad.problem;
    else problem = this.checkLastIndexEntry(offsetLoad.index);
    if (problem === null && offsetLoad.kind === 'loaded' && timeLoad.kind === 'loaded') {
      this.offsetIndexSlot = offsetLoad.index;
      this.timeIndexSlot = timeLoad.index;
      return;
    }
    this.logger.warn({ segment: this.logPath, problem }, 'rebuilding the indexes of a segment');
    this.offsetIndexSlot = new OffsetIndex(indexPath, this.baseOffset);
    this.timeIndexSlot = new TimeIndex(timeIndexPath, this.baseOffset);
    const result = this.recover(this.baseOffset, null);
    if (result.truncatedBytes > 0) {
      this.logger.error(
        { segment: this.logPath, truncatedBytes: result.truncatedBytes, problem: result.problem },
        'cut invalid bytes from a segment while rebuilding its indexes',
      );
    }
  }

  /** The last offset index entry must point at a batch whose last offset is the entry's offset. */
  private checkLastIndexEntry(index: OffsetIndex): string | null {
    if (index.entryCount === 0) return null;
    const header = Buffer.allocUnsafe(61);
    const position = index.lastPosition;
    if (position + 61 > this.sizeBytes)
      return `last index entry points at byte ${position}, too close to the end`;
    readFully(this.logFd, header, 0, 61, position);
    const lastOffset = batchBaseOffset(header, 0) + batchLastOffsetDelta(header, 0);
    return lastOffset === index.lastOffset
      ? null
      : `last index entry says offset ${index.lastOffset} at byte ${position}, the batch there ends at ${lastOffset}`;
  }

  /**
   * Computes the tail state (next offset, largest timestamp, bytes since the last index entry) by reading
   * the batches after the last index entry; throws if they are not whole batches in offset order.
   */
  private ensureTail(): void {
    if (this.tailKnown) return;
    const offsetIndex = this.offsetIndex;
    if (this.tailKnown) return; // loading the indexes may have rebuilt them, which computes the tail
    const timeIndex = this.timeIndex;
    this.maxTimestampSoFar = timeIndex.lastTimestamp;
    this.offsetOfMaxTimestampSoFar = timeIndex.entryCount === 0 ? -1 : timeIndex.lastOffset;
    const start = offsetIndex.lastPosition;
    const scanner = new FileBatchScanner(this.logFd, start, this.sizeBytes, false);
    let nextOffset = this.baseOffset;
    let bytesSinceEntry = 0;
    for (;;) {
      const status = scanner.next();
      if (status === 'end') break;
      if (status === 'invalid')
        throw new Error(`segment ${this.logPath} has an invalid tail ${scanner.problem}`);
      const buffer = scanner.buffer;
      const batchStart = scanner.batchStart;
      const baseOffset = batchBaseOffset(buffer, batchStart);
      const lastOffset = baseOffset + batchLastOffsetDelta(buffer, batchStart);
      if (baseOffset < nextOffset || lastOffset < baseOffset || !this.canHoldOffset(lastOffset)) {
        throw new Error(
          `segment ${this.logPath} has batches out of offset order at byte ${scanner.position}`,
        );
      }
      const maxTimestamp = batchMaxTimestamp(buffer, batchStart);
      if (scanner.position === 0) this.rollingBasedTimestampMs = maxTimestamp;
      if (maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = maxTimestamp;
        this.offsetOfMaxTimestampSoFar = lastOffset;
      }
      bytesSinceEntry += scanner.sizeBytes;
      nextOffset = lastOffset + 1;
    }
    if (this.sizeBytes > 0 && this.rollingBasedTimestampMs < 0 && start > 0) {
      const header = Buffer.allocUnsafe(61);
      readFully(this.logFd, header, 0, 61, 0);
      this.rollingBasedTimestampMs = batchMaxTimestamp(header, 0);
    }
    this.nextOffsetValue = nextOffset;
    this.bytesSinceLastIndexEntry = bytesSinceEntry;
    this.tailKnown = true;
  }
}

const EMPTY = Buffer.alloc(0);
