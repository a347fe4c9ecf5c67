import fs from 'node:fs';
import {
  InvalidRecordError,
  KafkaError,
  KafkaStorageError,
  OffsetOutOfRangeError,
  RecordListTooLargeError,
} from '@sluice/protocol';
import { type Logger, pino } from 'pino';
import { AppendPipeline, type BatchValidator, type QueuedAppend } from './append-pipeline.js';
import {
  BatchLayout,
  batchAttributes,
  batchBaseOffset,
  batchBaseSequence,
  batchComputedCrc,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchPartitionLeaderEpoch,
  batchProducerEpoch,
  batchProducerId,
  batchSizeBytes,
  isControl,
  TIMESTAMP_TYPE_MASK,
  writeInt64,
  writeSignedInt64,
} from './batch-format.js';
import { validateFollowerBatch, validateLeaderBatch } from './batch-validation.js';
import { type Clock, systemClock } from './clock.js';
import { fsyncDirectory, unlinkIfExists } from './file-io.js';
import { GroupCommit } from './group-commit.js';
import { assertOffset, InvariantError, invariant } from './invariant.js';
import { LeaderEpochFileCache } from './leader-epoch-file-cache.js';
import { Limits } from './limits.js';
import { deletesOldSegments, isCompacted, type LogConfig, NEVER, validateLogConfig } from './log-config.js';
import {
  DELETED_FILE_SUFFIX,
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  parseOffsetFileName,
  TEMPORARY_FILE_SUFFIX,
  TIME_INDEX_FILE_SUFFIX,
} from './log-file-names.js';
import {
  type BatchVisitor,
  LogSegment,
  type SegmentSettings,
  type TimestampAndOffset,
} from './log-segment.js';
import { LogSegments } from './log-segments.js';
import {
  lastSequenceOf,
  type PendingProducers,
  type ProducerBatch,
  type ProducerStateEntry,
  ProducerStateManager,
} from './producer-state-manager.js';
import { type ScheduledTask, type Scheduler, systemScheduler } from './scheduler.js';

/** What an append did. Offsets of a duplicate are those of the batch it repeats. */
export interface LogAppendInfo {
  firstOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  /** The broker time stamped on the batches, or -1 unless message.timestamp.type is LogAppendTime. */
  logAppendTimeMs: number;
  logStartOffset: number;
  recordCount: number;
  validBytes: number;
  /** An idempotent retry of a batch already in the log: nothing was appended. */
  duplicate: boolean;
}

export interface FetchDataInfo {
  /** Whole batches, read from the segment file; empty when there is nothing to read. */
  records: Buffer;
  /** Offset of the first batch in `records` (≤ the requested offset), or the requested offset if empty. */
  firstBatchBaseOffset: number;
}

export interface LogOpenOptions {
  /** `<log.dirs>/<topic>-<partition>`; created if missing. */
  directory: string;
  topic: string;
  partition: number;
  config: LogConfig;
  /** From the recovery-point checkpoint: offsets below it were flushed (default 0: recover everything). */
  recoveryPoint?: number;
  /** From the log-start-offset checkpoint. */
  logStartOffset?: number;
  /** From the replication-offset checkpoint. */
  highWatermark?: number;
  /** Skip the recovery scan when the files pass their checks. */
  hadCleanShutdown?: boolean;
  clock?: Clock;
  scheduler?: Scheduler;
  logger?: Logger;
}

/** Special timestamps of ListOffsets. */
export const ListOffsetsTimestamp = {
  LATEST: -1,
  EARLIEST: -2,
  MAX_TIMESTAMP: -3,
  EARLIEST_LOCAL: -4,
} as const;

type LogState =
  | { kind: 'open' }
  | { kind: 'closing' }
  | { kind: 'closed' }
  | { kind: 'offline'; error: Error };

const EMPTY = Buffer.alloc(0);
const INT32_MAX = 2 ** 31 - 1;

/**
 * The log of one topic-partition: an ordered set of LogSegments in one directory, plus the offsets Kafka
 * keeps for it:
 *
 *   logStartOffset ≤ highWatermark ≤ logEndOffset, and recoveryPoint ≤ logEndOffset
 *
 * - logEndOffset (LEO): the next offset to assign.
 * - highWatermark (HW): offsets below it are replicated to the ISR; consumers read below it. Clamped to
 *   [logStartOffset, LEO] and only increased, except by truncation.
 * - logStartOffset: the first offset readable; moved forward by DeleteRecords and retention.
 * - recoveryPoint: offsets below it are fsynced; recovery after a crash starts from its segment.
 *
 * Files in the directory: segments (`<base>.log`, `.index`, `.timeindex`), `leader-epoch-checkpoint`
 * (LeaderEpochFileCache) and `<offset>.snapshot` (ProducerStateManager). The offsets checkpoints live in
 * the log dir, written by the LogManager.
 *
 * Concurrency: Node runs it on one thread. An append validates, assigns offsets and writes to the page
 * cache synchronously (with `fs.writeSync`) in its turn, and appends never interleave. A small append made
 * alone has its turn in the call itself. Appends made together (several in one synchronous stretch, as a
 * producer's pipelined requests read in one go) queue, in order, to the end of the event loop's turn, and
 * so does every large one (from 256 KiB): queued small appends are written with one writev, and the CRC-32C
 * and record walk of each queued large batch run on @sluice/native's helper thread while the event loop
 * writes the one ahead of it (AppendPipeline). Durability is asynchronous: a GroupCommit fsyncs on the
 * threadpool while appends continue, and each sync covers every append made before it started.
 * Truncation and closing wait for queued appends; retention and log start changes happen synchronously
 * when called. Their promises cover the wait, file deletion and flushes.
 */
export class Log {
  readonly topic: string;
  readonly partition: number;
  readonly directory: string;
  config: LogConfig;
  private readonly settings: SegmentSettings;
  private readonly segments: LogSegments;
  private readonly epochCache: LeaderEpochFileCache;
  private readonly producerState: ProducerStateManager;
  private readonly groupCommit: GroupCommit;
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  /** LEO: the offset the next appended record gets. */
  private nextOffset: number;
  /** Invariant: ≤ highWatermarkValue. */
  private startOffset: number;
  /** Invariant: startOffset ≤ highWatermarkValue ≤ nextOffset. */
  private highWatermarkValue: number;
  private lastFlushMs: number;
  /** fsync rounds completed (each may cover many appends: group commit). */
  private flushes = 0;
  private state: LogState = { kind: 'open' };
  /** Segments renamed `.deleted`, waiting for file.delete.delay.ms. */
  private readonly pendingDeletions = new Map<LogSegment, ScheduledTask>();
  /** Orders appends that wait: small ones written in groups, large ones checked beside the write ahead. */
  private readonly appends = new AppendPipeline<LogAppendInfo>(
    (appends, validator) => this.runQueuedAppends(appends, validator),
    () => ({
      requireKeys: isCompacted(this.config),
      maxBatchBytes: Math.min(this.config.maxMessageBytes, Limits.MAX_BATCH_BYTES),
    }),
  );

  private constructor(init: {
    options: LogOpenOptions;
    config: LogConfig;
    settings: SegmentSettings;
    segments: LogSegments;
    epochCache: LeaderEpochFileCache;
    producerState: ProducerStateManager;
    clock: Clock;
    scheduler: Scheduler;
    logger: Logger;
    nextOffset: number;
    startOffset: number;
    highWatermark: number;
    recoveryPoint: number;
  }) {
    this.topic = init.options.topic;
    this.partition = init.options.partition;
    this.directory = init.options.directory;
    this.config = init.config;
    this.settings = init.settings;
    this.segments = init.segments;
    this.epochCache = init.epochCache;
    this.producerState = init.producerState;
    this.clock = init.clock;
    this.scheduler = init.scheduler;
    this.logger = init.logger;
    this.nextOffset = init.nextOffset;
    this.startOffset = init.startOffset;
    this.highWatermarkValue = init.highWatermark;
    this.lastFlushMs = init.clock.nowMs();
    this.groupCommit = new GroupCommit(
      init.recoveryPoint,
      (fromOffset, targetOffset) => this.syncRange(fromOffset, targetOffset),
      () => this.nextOffset,
    );
    this.checkInvariants();
  }

  // ---------------------------------------------------------------------------------------------------
  // Opening and recovery

  /**
   * Opens (or creates) the log in `options.directory`. After a clean shutdown whose files pass their
   * checks, nothing is re-read. Otherwise every segment from the one holding the recovery point is
   * re-read and checked batch by batch (frame, CRC-32C, offsets); the first bad byte and everything
   * after it is cut; indexes, leader epochs and producer state are rebuilt; and the result is fsynced.
   */
  static async open(options: LogOpenOptions): Promise<Log> {
    const config = validateLogConfig({ ...options.config });
    invariant(options.topic.length > 0, 'a log needs a topic name');
    invariant(
      Number.isInteger(options.partition) && options.partition >= 0,
      'partition must be a non-negative integer',
    );
    const recoveryPoint = options.recoveryPoint ?? 0;
    const checkpointedStart = options.logStartOffset ?? 0;
    assertOffset(recoveryPoint, 'recoveryPoint');
    assertOffset(checkpointedStart, 'logStartOffset');
    if (options.highWatermark !== undefined) assertOffset(options.highWatermark, 'highWatermark');
    const directory = options.directory;
    const clock = options.clock ?? systemClock;
    const scheduler = options.scheduler ?? systemScheduler;
    const logger = (options.logger ?? defaultLogger()).child({
      component: 'log',
      topic: options.topic,
      partition: options.partition,
    });
    const settings: SegmentSettings = {
      indexIntervalBytes: config.indexIntervalBytes,
      segmentIndexBytes: config.segmentIndexBytes,
    };
    const nowMs = clock.nowMs();
    fs.mkdirSync(directory, { recursive: true });
    const segments = loadSegments(directory, settings, logger, nowMs);
    const { cache: epochCache, status: epochStatus } = LeaderEpochFileCache.load(directory, logger);
    const producerState = new ProducerStateManager(directory, logger);
    let recovered: LogSegment[] = [];
    let clean = true;
    if (segments.isEmpty) {
      segments.add(LogSegment.create(directory, checkpointedStart, settings, logger, nowMs));
    } else if (!(options.hadCleanShutdown === true && segments.active.checkTail())) {
      clean = false;
      const from = options.hadCleanShutdown === true ? segments.active.baseOffset : recoveryPoint;
      recovered = await recoverSegments(segments, from, epochCache, logger);
    }
    let nextOffset = segments.active.nextOffset;
    let startOffset = Math.max(checkpointedStart, segments.first.baseOffset);
    if (startOffset > nextOffset) {
      logger.warn(
        { logStartOffset: startOffset, logEndOffset: nextOffset },
        'log ends before its start offset: emptying it',
      );
      for (const segment of segments.all()) {
        segments.remove(segment);
        await segment.closeAndDeleteFiles();
      }
      segments.add(LogSegment.create(directory, startOffset, settings, logger, nowMs));
      epochCache.clearAndPersist();
      producerState.truncateFully();
      nextOffset = startOffset;
      recovered = [];
    }
    startOffset = Math.min(startOffset, nextOffset);

    // Leader epochs: drop what lies beyond the log, rebuild what the checkpoint lost.
    if (epochStatus !== 'loaded') {
      epochCache.clearAndPersist();
      forEachBatchFrom(segments, startOffset, (buffer, at) => {
        epochCache.assign(batchPartitionLeaderEpoch(buffer, at), batchBaseOffset(buffer, at), false);
      });
    }
    epochCache.truncateFromEnd(nextOffset);
    epochCache.truncateFromStart(startOffset);
    epochCache.persist();

    // Producer state: the latest trustworthy snapshot, then the batches after it.
    const snapshotBound = clean ? nextOffset : Math.min(recoveryPoint, nextOffset);
    rebuildProducerState(producerState, segments, snapshotBound, nextOffset);

    // What recovery read and cut is made durable before the recovery point moves past it.
    if (!clean) {
      await Promise.all(recovered.map((segment) => segment.sync(true)));
      await fsyncDirectory(directory);
      logger.info(
        { logEndOffset: nextOffset, segments: recovered.length },
        'recovered log after an unclean shutdown',
      );
    }
    const highWatermark = Math.min(Math.max(options.highWatermark ?? 0, startOffset), nextOffset);
    return new Log({
      options,
      config,
      settings,
      segments,
      epochCache,
      producerState,
      clock,
      scheduler,
      logger,
      nextOffset,
      startOffset,
      highWatermark,
      recoveryPoint: nextOffset,
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // State

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.nextOffset;
  }

  get highWatermark(): number {
    return this.highWatermarkValue;
  }

  /** Offsets below it are fsynced. */
  get recoveryPoint(): number {
    return this.groupCommit.durableOffset;
  }

  get sizeBytes(): number {
    return this.segments.sizeBytes;
  }

  get segmentCount(): number {
    return this.segments.count;
  }

  /** Records appended since the last completed flush (Kafka: LEO - recovery point). */
  get unflushedMessages(): number {
    return this.nextOffset - this.groupCommit.durableOffset;
  }

  /** fsync rounds completed so far; with group commit, far fewer than the appends they covered. */
  get flushCount(): number {
    return this.flushes;
  }

  get lastFlushTimeMs(): number {
    return this.lastFlushMs;
  }

  /** Whether the log has failed on an I/O error and refuses every operation with KAFKA_STORAGE_ERROR. */
  get isOffline(): boolean {
    return this.state.kind === 'offline';
  }

  updateConfig(config: LogConfig): void {
    const validated = validateLogConfig({ ...config });
    this.config = validated;
    this.settings.indexIntervalBytes = validated.indexIntervalBytes;
    this.settings.segmentIndexBytes = validated.segmentIndexBytes;
  }

  // ---------------------------------------------------------------------------------------------------
  // Appends

  /**
   * Validates every batch in `records` (one or more v2 batches back to back, exactly filling the buffer),
   * then assigns offsets (rewrites baseOffset in place, stamps partitionLeaderEpoch = leaderEpoch; for
   * LogAppendTime also rewrites maxTimestamp + the timestamp-type attribute and recomputes the CRC), checks
   * idempotent producer state, and writes the bytes. All or nothing: a refused request writes no byte.
   *
   * Appends take effect in the order they are made: a small one made alone before the call returns, others
   * in their turn (AppendPipeline: made together with others, large, or behind queued ones), at the end of
   * the event loop's turn. `onAppended` is called in the append's turn, right after its bytes are readable
   * (or it was found a duplicate), before any flush; it must not throw. The promise resolves when
   * the flush policy is satisfied (flush.messages=1: after the fsync that covers it, group-committed).
   * `records` must not change until the promise settles.
   */
  appendAsLeader(
    records: Buffer,
    leaderEpoch: number,
    onAppended?: (info: LogAppendInfo) => void,
  ): Promise<LogAppendInfo> {
    if (!this.appends.runsNow(records)) return this.appends.enqueue(records, leaderEpoch, onAppended);
    let info: LogAppendInfo;
    try {
      info = this.appendLeaderNow(records, leaderEpoch, null, false);
    } catch (error) {
      return Promise.reject(error);
    }
    onAppended?.(info);
    return this.satisfyFlushPolicy(info);
  }

  /**
   * Appends batches keeping their offsets and epochs (replication); checks CRC and offset monotonicity.
   * Takes effect before the call returns, unless leader appends are still queued (then after them).
   */
  appendAsFollower(records: Buffer): Promise<LogAppendInfo> {
    if (this.appends.pending > 0) return this.appends.enqueue(records, -1);
    let info: LogAppendInfo;
    try {
      info = this.appendFollowerNow(records);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.satisfyFlushPolicy(info);
  }

  /**
   * Runs appends that waited in the AppendPipeline, settling each. Small leader appends run as a group:
   * each is checked and placed as if alone, and their bytes go to the file in one writev at the end (a
   * segment roll in between writes what came before it), before any of them is told it is in.
   */
  private runQueuedAppends(
    appends: readonly QueuedAppend<LogAppendInfo>[],
    validator: BatchValidator | null,
  ): void {
    if (appends.length === 1 && appends[0].leaderEpoch < 0) {
      const append = appends[0];
      append.resolve(this.satisfyFlushPolicy(this.appendFollowerNow(append.records)));
      return;
    }
    const group = appends.length > 1;
    const placed: { append: QueuedAppend<LogAppendInfo>; info: LogAppendInfo }[] = [];
    for (const append of appends) {
      try {
        placed.push({
          append,
          info: this.appendLeaderNow(append.records, append.leaderEpoch, validator, group),
        });
      } catch (error) {
        append.reject(error);
      }
    }
    if (group) {
      try {
        this.ensureWritable();
        this.guardIo('append', () => this.segments.active.writeDeferred());
      } catch (error) {
        // Offline now: what the group placed is never written (recovery goes by the files).
        this.segments.active.discardDeferred();
        for (const { append } of placed) append.reject(error);
        return;
      }
    }
    for (const { append, info } of placed) {
      append.onAppended?.(info);
      append.resolve(this.satisfyFlushPolicy(info));
    }
  }

  /** Appends made and not yet taken effect (queued behind others, or waiting for their check). */
  get queuedAppends(): number {
    return this.appends.pending;
  }

  /** Appends whose CRC-32C and record walk ran on the helper thread, beside the write of the one ahead. */
  get offloadedChecks(): number {
    return this.appends.offloadedChecks;
  }

  /** Appends whose bytes went to the file in a group write, with others queued with them. */
  get groupedAppends(): number {
    return this.appends.groupedAppends;
  }

  /**
   * `validator` checks each batch's CRC-32C and records (null: @sluice/native's, or JavaScript).
   * `deferWrite` leaves the bytes for the active segment's `writeDeferred` (a group write).
   */
  private appendLeaderNow(
    records: Buffer,
    leaderEpoch: number,
    validator: BatchValidator | null,
    deferWrite: boolean,
  ): LogAppendInfo {
    this.ensureWritable();
    invariant(
      Number.isInteger(leaderEpoch) && leaderEpoch >= 0 && leaderEpoch <= INT32_MAX,
      'leader epoch must be an int32 ≥ 0',
    );
    const config = this.config;
    this.checkAppendSize(records);
    const nowMs = this.clock.nowMs();
    const requireKeys = isCompacted(config);

    // 1. Validate every batch and check producer state, before touching anything.
    let pending: PendingProducers | null = null;
    let batchCount = 0;
    let recordCount = 0;
    for (let at = 0; at < records.length; ) {
      const sizeBytes = validateLeaderBatch(
        records,
        at,
        batchCount,
        config,
        nowMs,
        requireKeys,
        validator ?? undefined,
      );
      const producerId = batchProducerId(records, at);
      if (producerId >= 0) {
        pending ??= new Map();
        const baseSequence = batchBaseSequence(records, at);
        const duplicate = this.producerState.checkBatch(
          producerId,
          batchProducerEpoch(records, at),
          baseSequence,
          lastSequenceOf(baseSequence, batchLastOffsetDelta(records, at)),
          pending,
        );
        if (duplicate !== null) return this.duplicateInfo(duplicate);
      }
      batchCount++;
      recordCount += batchLastOffsetDelta(records, at) + 1;
      if (batchCount > Limits.MAX_BATCHES_PER_APPEND) {
        throw new InvalidRecordError(`an append may hold at most ${Limits.MAX_BATCHES_PER_APPEND} batches`);
      }
      at += sizeBytes;
    }
    const firstOffset = this.nextOffset;
    const lastOffset = firstOffset + recordCount - 1;
    if (lastOffset > Number.MAX_SAFE_INTEGER) {
      throw new KafkaStorageError(`offset ${lastOffset} would pass 2^53, the largest offset this log stores`);
    }

    // 2. Assign offsets and epochs in place (baseOffset and partitionLeaderEpoch lie outside the CRC).
    const logAppendTime = config.messageTimestampType === 'LogAppendTime';
    let maxTimestamp = -1;
    let offsetOfMaxTimestamp = -1;
    let offset = firstOffset;
    for (let at = 0; at < records.length; ) {
      const sizeBytes = batchSizeBytes(records, at);
      const lastOffsetDelta = batchLastOffsetDelta(records, at);
      writeInt64(records, at + BatchLayout.BASE_OFFSET, offset);
      records.writeInt32BE(leaderEpoch, at + BatchLayout.PARTITION_LEADER_EPOCH);
      if (logAppendTime) {
        const attributes = batchAttributes(records, at) | TIMESTAMP_TYPE_MASK;
        records.writeInt16BE(attributes, at + BatchLayout.ATTRIBUTES);
        writeSignedInt64(records, at + BatchLayout.MAX_TIMESTAMP, nowMs);
        records.writeUInt32BE(batchComputedCrc(records, at, sizeBytes), at + BatchLayout.CRC);
      }
      const batchMax = batchMaxTimestamp(records, at);
      if (batchMax > maxTimestamp) {
        maxTimestamp = batchMax;
        offsetOfMaxTimestamp = offset + lastOffsetDelta;
      }
      offset += lastOffsetDelta + 1;
      at += sizeBytes;
    }
    invariant(offset === lastOffset + 1, 'assigned offsets must cover exactly the records counted');
    if (logAppendTime) offsetOfMaxTimestamp = lastOffset;

    // 3. Roll if needed, record the epoch, write.
    this.guardIo('append', () => {
      this.maybeRoll(records.length, batchMaxTimestamp(records, 0), firstOffset, lastOffset, nowMs);
      this.epochCache.assign(leaderEpoch, firstOffset);
      this.segments.active.append(records, deferWrite);
    });

    // 4. Producer state and the log end offset follow the bytes.
    if (pending !== null) this.applyProducerBatches(records);
    this.nextOffset = lastOffset + 1;
    return {
      firstOffset,
      lastOffset,
      maxTimestamp,
      offsetOfMaxTimestamp,
      logAppendTimeMs: logAppendTime ? nowMs : -1,
      logStartOffset: this.startOffset,
      recordCount,
      validBytes: records.length,
      duplicate: false,
    };
  }

  private appendFollowerNow(records: Buffer): LogAppendInfo {
    this.ensureWritable();
    this.checkAppendSize(records);
    const nowMs = this.clock.nowMs();
    let expectedOffset = this.nextOffset;
    let batchCount = 0;
    let recordCount = 0;
    let maxTimestamp = -1;
    let offsetOfMaxTimestamp = -1;
    let firstOffset = -1;
    let lastOffset = -1;
    let hasProducers = false;
    for (let at = 0; at < records.length; ) {
      const sizeBytes = validateFollowerBatch(records, at, batchCount);
      const baseOffset = batchBaseOffset(records, at);
      const batchLastOffset = baseOffset + batchLastOffsetDelta(records, at);
      if (baseOffset < expectedOffset || batchLastOffset > Number.MAX_SAFE_INTEGER) {
        throw new InvalidRecordError(
          `batch ${batchCount}: offsets [${baseOffset}, ${batchLastOffset}] do not follow offset ${expectedOffset - 1}` +
            ` of ${this.topic}-${this.partition}`,
        );
      }
      if (firstOffset < 0) firstOffset = baseOffset;
      const batchMax = batchMaxTimestamp(records, at);
      if (batchMax > maxTimestamp) {
        maxTimestamp = batchMax;
        offsetOfMaxTimestamp = batchLastOffset;
      }
      if (batchProducerId(records, at) >= 0) hasProducers = true;
      recordCount += batchLastOffsetDelta(records, at) + 1;
      lastOffset = batchLastOffset;
      expectedOffset = batchLastOffset + 1;
      batchCount++;
      if (batchCount > Limits.MAX_BATCHES_PER_APPEND) {
        throw new InvalidRecordError(`an append may hold at most ${Limits.MAX_BATCHES_PER_APPEND} batches`);
      }
      at += sizeBytes;
    }
    this.guardIo('append', () => {
      this.maybeRoll(records.length, batchMaxTimestamp(records, 0), firstOffset, lastOffset, nowMs);
      for (let at = 0; at < records.length; at += batchSizeBytes(records, at)) {
        this.epochCache.assign(batchPartitionLeaderEpoch(records, at), batchBaseOffset(records, at));
      }
      this.segments.active.append(records);
    });
    if (hasProducers) this.applyProducerBatches(records);
    this.nextOffset = lastOffset + 1;
    return {
      firstOffset,
      lastOffset,
      maxTimestamp,
      offsetOfMaxTimestamp,
      logAppendTimeMs: -1,
      logStartOffset: this.startOffset,
      recordCount,
      validBytes: records.length,
      duplicate: false,
    };
  }

  private checkAppendSize(records: Buffer): void {
    if (records.length === 0) {
      throw new InvalidRecordError(
        `an append to ${this.topic}-${this.partition} must hold at least one record batch`,
      );
    }
    if (records.length > this.config.segmentBytes) {
      throw new RecordListTooLargeError(
        `an append of ${records.length} bytes exceeds segment.bytes (${this.config.segmentBytes}) of ` +
          `${this.topic}-${this.partition}`,
      );
    }
  }

  private duplicateInfo(batch: ProducerBatch): LogAppendInfo {
    return {
      firstOffset: batch.firstOffset,
      lastOffset: batch.lastOffset,
      maxTimestamp: batch.timestampMs,
      offsetOfMaxTimestamp: batch.lastOffset,
      logAppendTimeMs: -1,
      logStartOffset: this.startOffset,
      recordCount: batch.lastOffset - batch.firstOffset + 1,
      validBytes: 0,
      duplicate: true,
    };
  }

  /** Producer state after the batches of `records` (with their final offsets) were written. */
  private applyProducerBatches(records: Buffer): void {
    for (let at = 0; at < records.length; at += batchSizeBytes(records, at)) {
      applyBatchToProducerState(this.producerState, records, at);
    }
  }

  /** Resolves the append's promise according to flush.messages (a duplicate waits for its original). */
  private satisfyFlushPolicy(info: LogAppendInfo): Promise<LogAppendInfo> {
    const endOffset = info.lastOffset + 1;
    const mustFlush = info.duplicate
      ? this.config.flushMessages === 1 && endOffset > this.groupCommit.durableOffset
      : this.unflushedMessages >= this.config.flushMessages;
    if (!mustFlush) return Promise.resolve(info);
    // Wait for everything appended so far (for a duplicate too: waiters queue in offset order).
    return this.groupCommit.waitFor(this.nextOffset).then(
      () => info,
      (error: unknown) => {
        throw this.storageError(error, 'flush');
      },
    );
  }

  /**
   * Runs a step that writes files; an I/O error (a Node system error: ENOSPC, EIO, ...) takes the log
   * offline, as Kafka takes a failed log dir offline. Anything else (a Kafka error, a broken invariant)
   * passes through.
   */
  private guardIo<T>(operation: string, step: () => T): T {
    try {
      return step();
    } catch (error) {
      if (isSystemError(error)) throw this.goOffline(error, operation);
      throw error;
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Segments: roll, retire

  /** Rolls a new segment when the active one cannot take `sizeBytes` more (Kafka's shouldRoll). */
  private maybeRoll(
    sizeBytes: number,
    incomingMaxTimestampMs: number,
    firstOffset: number,
    lastOffset: number,
    nowMs: number,
  ): void {
    const active = this.segments.active;
    if (active.isEmpty) {
      // An empty active segment that cannot hold these offsets is replaced by one based at them.
      if (active.baseOffset !== firstOffset && !active.canHoldOffset(lastOffset))
        this.replaceEmptyActive(firstOffset, nowMs);
      return;
    }
    const config = this.config;
    const reason =
      active.sizeBytes > config.segmentBytes - sizeBytes
        ? 'segment.bytes'
        : active.timeWaitedForRollMs(nowMs, incomingMaxTimestampMs) > config.segmentMs
          ? 'segment.ms'
          : active.indexesFull
            ? 'segment.index.bytes'
            : !active.canHoldOffset(lastOffset)
              ? 'relative offset range'
              : null;
    if (reason !== null) this.roll(Math.max(firstOffset, this.nextOffset), nowMs, reason);
  }

  private roll(newBaseOffset: number, nowMs: number, reason: string): void {
    const previous = this.segments.active;
    previous.writeDeferred();
    previous.onBecomeInactive();
    const segment = LogSegment.create(this.directory, newBaseOffset, this.settings, this.logger, nowMs);
    this.segments.add(segment);
    this.producerState.takeSnapshot(newBaseOffset);
    this.logger.info({ baseOffset: newBaseOffset, reason }, 'rolled a new segment');
    // As Kafka does: flush the finished segment in the background, whatever the flush policy.
    this.groupCommit.waitFor(this.nextOffset).catch((error: unknown) => {
      this.logger.error({ err: error }, 'background flush after a roll failed');
    });
  }

  private replaceEmptyActive(newBaseOffset: number, nowMs: number): void {
    const empty = this.segments.active;
    this.segments.remove(empty);
    this.segments.add(LogSegment.create(this.directory, newBaseOffset, this.settings, this.logger, nowMs));
    empty.closeAndDeleteFiles().catch((error: unknown) => {
      this.logger.error({ err: error }, 'could not delete an empty segment');
    });
  }

  /** Takes a segment out of service: renamed `.deleted` now, removed after file.delete.delay.ms. */
  private retire(segment: LogSegment): void {
    this.segments.remove(segment);
    segment.renameToDeleted();
    const task = this.scheduler.scheduleOnce(() => {
      this.pendingDeletions.delete(segment);
      segment.closeAndDeleteFiles().catch((error: unknown) => {
        this.logger.error({ err: error, baseOffset: segment.baseOffset }, 'could not delete a segment');
      });
    }, this.config.fileDeleteDelayMs);
    this.pendingDeletions.set(segment, task);
  }

  // ---------------------------------------------------------------------------------------------------
  // Reads

  /**
   * Whole batches starting at the batch that holds `startOffset`, at most `maxBytes` (but at least one whole
   * batch when `minOneMessage` even if larger), never including a batch whose base offset is ≥ `maxOffset`
   * (exclusive bound, e.g. the high watermark; default logEndOffset). Throws OffsetOutOfRangeError when
   * startOffset < logStartOffset or > logEndOffset. Reads from one segment per call, like Kafka.
   */
  read(
    startOffset: number,
    options: { maxBytes: number; maxOffset?: number; minOneMessage: boolean },
  ): FetchDataInfo {
    this.ensureReadable();
    invariant(Number.isInteger(startOffset), 'startOffset must be an integer');
    invariant(
      Number.isInteger(options.maxBytes) && options.maxBytes >= 0,
      'maxBytes must be a non-negative integer',
    );
    if (startOffset < this.startOffset || startOffset > this.nextOffset) {
      throw new OffsetOutOfRangeError(
        `offset ${startOffset} of ${this.topic}-${this.partition} is outside [${this.startOffset}, ${this.nextOffset}]`,
      );
    }
    const maxOffset = Math.min(options.maxOffset ?? this.nextOffset, this.nextOffset);
    if (startOffset >= maxOffset) return { records: EMPTY, firstBatchBaseOffset: startOffset };
    const maxBytes = Math.min(options.maxBytes, Limits.MAX_READ_BYTES);
    try {
      let segment: LogSegment | undefined = this.segments.floor(startOffset) ?? this.segments.first;
      while (segment !== undefined) {
        const result = segment.read(startOffset, maxBytes, maxOffset, options.minOneMessage);
        if (result !== null) return result;
        segment = this.segments.next(segment);
      }
    } catch (error) {
      throw this.storageError(error, 'read');
    }
    return { records: EMPTY, firstBatchBaseOffset: startOffset };
  }

  /**
   * ListOffsets by timestamp: the first offset whose record (batch, when compressed) has a timestamp
   * ≥ `timestampMs`, or null. Also answers Kafka's special timestamps: -1 latest (the LEO), -2 earliest
   * (the log start), -3 the batch with the largest timestamp, -4 earliest local (= earliest).
   */
  fetchOffsetByTimestamp(timestampMs: number): TimestampAndOffset | null {
    this.ensureReadable();
    invariant(Number.isInteger(timestampMs), 'timestampMs must be an integer');
    switch (timestampMs) {
      case ListOffsetsTimestamp.EARLIEST:
      case ListOffsetsTimestamp.EARLIEST_LOCAL:
        return {
          offset: this.startOffset,
          timestampMs: -1,
          leaderEpoch: this.epochCache.epochForOffset(this.startOffset) ?? -1,
        };
      case ListOffsetsTimestamp.LATEST:
        return { offset: this.nextOffset, timestampMs: -1, leaderEpoch: this.epochCache.latestEpoch ?? -1 };
      case ListOffsetsTimestamp.MAX_TIMESTAMP: {
        let max = -1;
        for (const segment of this.segments.all()) max = Math.max(max, segment.maxTimestampMs);
        return max < 0 ? null : this.searchByTimestamp(max);
      }
      default:
        if (timestampMs < 0) return null;
        return this.searchByTimestamp(timestampMs);
    }
  }

  private searchByTimestamp(timestampMs: number): TimestampAndOffset | null {
    try {
      for (const segment of this.segments.all()) {
        if (segment.maxTimestampMs < timestampMs) continue;
        const found = segment.findOffsetByTimestamp(timestampMs, this.startOffset);
        if (found !== null) return found;
      }
      return null;
    } catch (error) {
      throw this.storageError(error, 'search by timestamp');
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // High watermark, log start, truncation

  /**
   * Moves the high watermark to `offset` clamped to [logStartOffset, logEndOffset], if that is higher
   * than it is now. Returns whether it moved. (The replication layer decides the offset: the smallest LEO
   * of the ISR.)
   */
  maybeIncrementHighWatermark(offset: number): boolean {
    invariant(Number.isInteger(offset), 'high watermark must be an integer');
    const clamped = Math.min(Math.max(offset, this.startOffset), this.nextOffset);
    if (clamped <= this.highWatermarkValue) return false;
    this.highWatermarkValue = clamped;
    this.checkInvariants();
    return true;
  }

  /** DeleteRecords: moves the log start forward (never past the high watermark: OffsetOutOfRangeError). */
  async maybeIncrementLogStartOffset(offset: number, reason: string): Promise<boolean> {
    this.ensureWritable();
    assertOffset(offset, 'log start offset');
    if (offset > this.highWatermarkValue) {
      throw new OffsetOutOfRangeError(
        `cannot move the log start offset of ${this.topic}-${this.partition} to ${offset}: ` +
          `beyond the high watermark ${this.highWatermarkValue}`,
      );
    }
    if (offset <= this.startOffset) return false;
    this.startOffset = offset;
    this.guardIo('move the log start offset', () => this.epochCache.truncateFromStart(offset));
    this.logger.info({ logStartOffset: offset, reason }, 'moved the log start offset');
    this.checkInvariants();
    return true;
  }

  /**
   * Removes every batch whose last offset is ≥ `offset` (a follower diverging from its leader). A batch
   * holding `offset` goes whole, so the new LEO may be below `offset`. No-op if `offset` ≥ LEO.
   */
  async truncateTo(offset: number): Promise<void> {
    if (this.appends.pending > 0) await this.appends.idle();
    this.ensureWritable();
    assertOffset(offset, 'truncation offset');
    if (offset >= this.nextOffset) return;
    if (offset < this.segments.first.baseOffset) {
      this.truncateFullyNow(offset);
      return;
    }
    const nowMs = this.clock.nowMs();
    const removedBytes = this.guardIo('truncate', () => {
      for (const segment of this.segments.all().reverse()) {
        if (segment.baseOffset > offset) this.retire(segment);
      }
      return this.segments.active.truncateTo(offset, nowMs);
    });
    const previousEnd = this.nextOffset;
    this.nextOffset = this.segments.active.nextOffset;
    if (this.startOffset > this.nextOffset) this.startOffset = this.nextOffset;
    if (this.highWatermarkValue > this.nextOffset) this.highWatermarkValue = this.nextOffset;
    this.groupCommit.truncated(this.nextOffset, () => truncatedError(this));
    this.guardIo('truncate', () => {
      this.epochCache.truncateFromEnd(this.nextOffset);
      rebuildProducerState(this.producerState, this.segments, this.nextOffset, this.nextOffset);
    });
    this.logger.info(
      { offset, logEndOffset: this.nextOffset, previousEnd, removedBytes },
      'truncated the log',
    );
    this.checkInvariants();
  }

  /** Deletes every segment and restarts the log empty at `offset` (a follower far behind its leader). */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    if (this.appends.pending > 0) await this.appends.idle();
    this.ensureWritable();
    assertOffset(offset, 'new start offset');
    this.truncateFullyNow(offset);
  }

  private truncateFullyNow(offset: number): void {
    for (const segment of this.segments.all()) this.retire(segment);
    this.segments.add(
      LogSegment.create(this.directory, offset, this.settings, this.logger, this.clock.nowMs()),
    );
    this.nextOffset = offset;
    this.startOffset = offset;
    this.highWatermarkValue = offset;
    this.groupCommit.reset(offset, () => truncatedError(this));
    this.epochCache.clearAndPersist();
    this.producerState.truncateFully();
    this.logger.info({ offset }, 'emptied the log and restarted it');
    this.checkInvariants();
  }

  // ---------------------------------------------------------------------------------------------------
  // Leader epochs, producer state

  get latestEpoch(): number | null {
    return this.epochCache.latestEpoch;
  }

  /** OffsetForLeaderEpoch: the largest epoch ≤ `epoch` and where the next epoch starts (or the LEO). */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | null {
    return this.epochCache.endOffsetFor(epoch, this.nextOffset);
  }

  /** The epoch → start offset entries, oldest first. */
  leaderEpochEntries(): { epoch: number; startOffset: number }[] {
    return this.epochCache.allEntries();
  }

  /** The idempotence state of one producer id, or undefined. */
  producerStateOf(producerId: number): ProducerStateEntry | undefined {
    const entry = this.producerState.entry(producerId);
    return entry === undefined
      ? undefined
      : { ...entry, batches: entry.batches.map((batch) => ({ ...batch })) };
  }

  // ---------------------------------------------------------------------------------------------------
  // Retention, flush, close

  /** Retention by retention.ms / retention.bytes / log start offset; whole non-active segments only. */
  async deleteOldSegments(): Promise<number> {
    this.ensureWritable();
    return this.guardIo('retention', () => this.deleteOldSegmentsNow());
  }

  private deleteOldSegmentsNow(): number {
    const config = this.config;
    let deleted = this.deleteSegmentPrefix(
      'log start offset',
      (_segment, next) => next.baseOffset <= this.startOffset,
    );
    if (deletesOldSegments(config)) {
      if (config.retentionBytes >= 0) {
        let excessBytes = this.segments.sizeBytes - config.retentionBytes;
        deleted += this.deleteSegmentPrefix('retention.bytes', (segment) => {
          if (excessBytes - segment.sizeBytes < 0) return false;
          excessBytes -= segment.sizeBytes;
          return true;
        });
      }
      if (config.retentionMs >= 0) {
        const nowMs = this.clock.nowMs();
        deleted += this.deleteSegmentPrefix(
          'retention.ms',
          (segment) => nowMs - segment.largestTimestampMs() > config.retentionMs,
        );
      }
    }
    if (deleted > 0) {
      const firstBase = this.segments.first.baseOffset;
      if (firstBase > this.startOffset) {
        this.startOffset = firstBase;
        this.epochCache.truncateFromStart(firstBase);
      }
      this.producerState.deleteSnapshotsBelow(firstBase);
      this.checkInvariants();
    }
    return deleted;
  }

  /**
   * Retires the oldest segments while `deletable` says so. A segment goes only if it is not the active
   * one and lies wholly below the high watermark (the next segment starts at or below it).
   */
  private deleteSegmentPrefix(
    reason: string,
    deletable: (segment: LogSegment, next: LogSegment) => boolean,
  ): number {
    let deleted = 0;
    for (;;) {
      const segment = this.segments.first;
      const next = this.segments.count > 1 ? this.segments.next(segment) : undefined;
      if (next === undefined || next.baseOffset > this.highWatermarkValue) break;
      if (!deletable(segment, next)) break;
      this.retire(segment);
      this.logger.info({ baseOffset: segment.baseOffset, reason }, 'deleting a segment');
      deleted++;
    }
    return deleted;
  }

  /** fsync everything appended so far; advances the recovery point. */
  flush(): Promise<void> {
    this.ensureWritable();
    return this.groupCommit.waitFor(this.nextOffset).catch((error: unknown) => {
      throw this.storageError(error, 'flush');
    });
  }

  /** flush.ms: flushes when the last flush is older than flush.ms and something is unflushed. */
  flushIfDue(nowMs: number): Promise<void> {
    if (this.state.kind !== 'open' || this.config.flushMs >= NEVER || this.unflushedMessages === 0) {
      return Promise.resolve();
    }
    if (nowMs - this.lastFlushMs < this.config.flushMs || this.groupCommit.isSyncing)
      return Promise.resolve();
    return this.flush();
  }

  /** Makes offsets [fromOffset, targetOffset) durable: the GroupCommit's sync. */
  private async syncRange(fromOffset: number, targetOffset: number): Promise<void> {
    const active = this.segments.active;
    const covered = this.segments
      .from(fromOffset)
      .filter((segment, i) => i === 0 || segment.baseOffset < targetOffset);
    try {
      await Promise.all(
        // The active segment's index entries stay in memory until roll or close: after a crash recovery
        // rebuilds that segment's indexes anyway, and writing them here would add metadata to every fsync.
        covered.map((segment) => segment.sync(segment !== active)),
      );
    } catch (error) {
      throw this.goOffline(error, 'fsync');
    }
    this.lastFlushMs = this.clock.nowMs();
    this.flushes++;
  }

  /** Flushes, writes the indexes and a producer snapshot, closes the files. No more calls after it. */
  async close(): Promise<void> {
    if (this.appends.pending > 0) await this.appends.idle();
    if (this.state.kind === 'closed' || this.state.kind === 'closing') return;
    const wasOpen = this.state.kind === 'open';
    this.state = { kind: 'closing' };
    try {
      if (wasOpen) {
        await this.groupCommit.waitFor(this.nextOffset);
        const active = this.segments.active;
        active.writeIndexes();
        await active.sync(true);
        this.producerState.takeSnapshot(this.nextOffset, true);
      }
    } finally {
      for (const [segment, task] of this.pendingDeletions) {
        task.cancel();
        await segment.closeAndDeleteFiles();
      }
      this.pendingDeletions.clear();
      for (const segment of this.segments.all()) await segment.close();
      this.state = { kind: 'closed' };
      this.logger.debug({ logEndOffset: this.nextOffset }, 'closed the log');
    }
  }

  /** Closes the log and removes its directory. */
  async delete(): Promise<void> {
    await this.close();
    await fs.promises.rm(this.directory, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------------------------------------------
  // Internals

  private ensureReadable(): void {
    if (this.state.kind === 'offline') {
      throw new KafkaStorageError(`${this.topic}-${this.partition} is offline: ${this.state.error.message}`);
    }
    if (this.state.kind !== 'open') throw new KafkaStorageError(`${this.topic}-${this.partition} is closed`);
  }

  private ensureWritable(): void {
    this.ensureReadable();
  }

  /** An I/O failure on a write path: the log goes offline (as Kafka takes a failed log dir offline). */
  private goOffline(error: unknown, operation: string): KafkaStorageError {
    const cause = error instanceof Error ? error : new Error(String(error));
    if (this.state.kind === 'open') {
      this.state = { kind: 'offline', error: cause };
      this.logger.error({ err: cause, operation }, 'I/O error: the log is now offline');
    }
    return new KafkaStorageError(`${operation} failed on ${this.topic}-${this.partition}: ${cause.message}`, {
      cause,
    });
  }

  private storageError(error: unknown, operation: string): Error {
    if (KafkaError.isInstance(error) || error instanceof InvariantError) return error;
    const cause = error instanceof Error ? error : new Error(String(error));
    return new KafkaStorageError(`${operation} failed on ${this.topic}-${this.partition}: ${cause.message}`, {
      cause,
    });
  }

  private checkInvariants(): void {
    invariant(
      this.startOffset <= this.highWatermarkValue && this.highWatermarkValue <= this.nextOffset,
      () =>
        `need logStartOffset ${this.startOffset} ≤ HW ${this.highWatermarkValue} ≤ LEO ${this.nextOffset}`,
    );
    invariant(
      this.groupCommit.durableOffset <= this.nextOffset,
      'the recovery point cannot pass the log end',
    );
    invariant(
      this.segments.active.baseOffset <= this.nextOffset,
      'the active segment starts at or before the LEO',
    );
  }
}

// -----------------------------------------------------------------------------------------------------
// Loading helpers

/** A Node system error (its `code` is a string such as 'ENOSPC'; a KafkaError's is a number). */
function isSystemError(error: unknown): error is Error {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

function defaultLogger(): Logger {
  return pino({ name: 'sluice', level: process.env.SLUICE_LOG_LEVEL ?? 'warn' });
}

function truncatedError(log: Log): KafkaStorageError {
  return new KafkaStorageError(
    `${log.topic}-${log.partition} was truncated before this append was flushed; it is not in the log`,
  );
}

/** Removes leftovers (`.deleted`, `.tmp`, orphan indexes) and opens every segment, oldest first. */
function loadSegments(
  directory: string,
  settings: SegmentSettings,
  logger: Logger,
  nowMs: number,
): LogSegments {
  const names = fs.readdirSync(directory);
  const bases = new Set<number>();
  for (const name of names) {
    if (name.endsWith(DELETED_FILE_SUFFIX) || name.endsWith(TEMPORARY_FILE_SUFFIX)) {
      unlinkIfExists(`${directory}/${name}`);
      continue;
    }
    const parsed = parseOffsetFileName(name);
    if (parsed !== null && parsed.suffix === LOG_FILE_SUFFIX) bases.add(parsed.offset);
  }
  for (const name of names) {
    const parsed = parseOffsetFileName(name);
    if (
      parsed !== null &&
      (parsed.suffix === INDEX_FILE_SUFFIX || parsed.suffix === TIME_INDEX_FILE_SUFFIX) &&
      !bases.has(parsed.offset)
    ) {
      logger.warn({ file: name }, 'deleting an index file without its segment');
      unlinkIfExists(`${directory}/${name}`);
    }
  }
  const segments = new LogSegments();
  for (const base of [...bases].sort((a, b) => a - b)) {
    segments.add(LogSegment.open(directory, base, settings, logger, nowMs));
  }
  return segments;
}

/**
 * Re-reads and checks every segment from the one holding `fromOffset`. The first invalid byte ends the
 * log: the file is cut there and later segments are deleted. Returns the segments re-read.
 */
async function recoverSegments(
  segments: LogSegments,
  fromOffset: number,
  epochCache: LeaderEpochFileCache,
  logger: Logger,
): Promise<LogSegment[]> {
  const toRecover = segments.from(fromOffset);
  const recovered: LogSegment[] = [];
  const visitor: BatchVisitor = (buffer, at) => {
    epochCache.assign(batchPartitionLeaderEpoch(buffer, at), batchBaseOffset(buffer, at), false);
  };
  let expectedOffset = toRecover[0].baseOffset;
  for (let i = 0; i < toRecover.length; i++) {
    const segment = toRecover[i];
    const result = segment.recover(expectedOffset, visitor);
    recovered.push(segment);
    if (result.problem !== null) {
      logger.warn(
        { baseOffset: segment.baseOffset, truncatedBytes: result.truncatedBytes, problem: result.problem },
        'recovery cut an invalid tail from a segment',
      );
      for (const later of toRecover.slice(i + 1)) {
        logger.warn({ baseOffset: later.baseOffset }, 'recovery deletes a segment after an invalid tail');
        segments.remove(later);
        await later.closeAndDeleteFiles();
      }
      break;
    }
    expectedOffset = segment.nextOffset;
  }
  // An empty segment left in the middle of the log by the cut is dropped (the active one always stays).
  for (const segment of segments.all().slice(0, -1)) {
    if (segment.isEmpty) {
      segments.remove(segment);
      await segment.closeAndDeleteFiles();
    }
  }
  return recovered.filter((segment) => segments.all().includes(segment));
}

/** Calls `visit` for every batch with offsets ≥ `fromOffset`, reading headers only. */
function forEachBatchFrom(segments: LogSegments, fromOffset: number, visit: BatchVisitor): void {
  for (const segment of segments.from(fromOffset)) {
    segment.forEachBatchHeader((buffer, at) => {
      if (batchBaseOffset(buffer, at) + batchLastOffsetDelta(buffer, at) >= fromOffset) visit(buffer, at);
    });
  }
}

/** Applies one written batch (final offsets) to the producer state. */
function applyBatchToProducerState(state: ProducerStateManager, buffer: Buffer, at: number): void {
  const producerId = batchProducerId(buffer, at);
  if (producerId < 0) return;
  const epoch = batchProducerEpoch(buffer, at);
  const maxTimestamp = batchMaxTimestamp(buffer, at);
  if (isControl(batchAttributes(buffer, at))) {
    state.updateEpoch(producerId, epoch, maxTimestamp);
    return;
  }
  const baseOffset = batchBaseOffset(buffer, at);
  const lastOffsetDelta = batchLastOffsetDelta(buffer, at);
  const baseSequence = batchBaseSequence(buffer, at);
  state.update(
    producerId,
    epoch,
    baseSequence,
    lastSequenceOf(baseSequence, lastOffsetDelta),
    baseOffset,
    baseOffset + lastOffsetDelta,
    maxTimestamp,
  );
}

/**
 * Producer state as of `logEndOffset`: the latest valid snapshot at or below `snapshotBound`, then every
 * batch after it replayed from the segments (headers only).
 */
function rebuildProducerState(
  state: ProducerStateManager,
  segments: LogSegments,
  snapshotBound: number,
  logEndOffset: number,
): void {
  const snapshotOffset = state.loadLatestSnapshot(snapshotBound);
  const replayFrom = snapshotOffset ?? segments.first.baseOffset;
  if (replayFrom >= logEndOffset) return;
  forEachBatchFrom(segments, replayFrom, (buffer, at) => {
    if (batchBaseOffset(buffer, at) >= replayFrom) applyBatchToProducerState(state, buffer, at);
  });
}
