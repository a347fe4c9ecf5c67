import fs from 'node:fs';
import path from 'node:path';
import {
  CorruptMessageError,
  InvalidProducerEpochError,
  InvalidRecordError,
  InvalidTimestampError,
  KafkaStorageError,
  MessageTooLargeError,
  OffsetOutOfRangeError,
  OutOfOrderSequenceNumberError,
  RecordListTooLargeError,
} from '@sluice/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BASE_TIMESTAMP, encodeBatch, simpleBatch, summarizeBatches } from '../test/record-batch-builder.js';
import {
  ManualClock,
  ManualScheduler,
  makeTempDirectory,
  removeTempDirectory,
  testLogger,
} from '../test/temp-directory.js';
import { ListOffsetsTimestamp, Log, type LogOpenOptions } from './log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js';

let directory: string;
let clock: ManualClock;
let scheduler: ManualScheduler;
const openLogs: Log[] = [];

beforeEach(() => {
  directory = path.join(makeTempDirectory(), 'topic-0');
  clock = new ManualClock(BASE_TIMESTAMP + 1000);
  scheduler = new ManualScheduler(clock);
});

afterEach(async () => {
  for (const log of openLogs.splice(0)) await log.close().catch(() => undefined);
  removeTempDirectory(path.dirname(directory));
});

async function openLog(config: Partial<LogConfig> = {}, options: Partial<LogOpenOptions> = {}): Promise<Log> {
  const log = await Log.open({
    directory,
    topic: 'topic',
    partition: 0,
    config: { ...DEFAULT_LOG_CONFIG, ...config },
    clock,
    scheduler,
    logger: testLogger,
    ...options,
  });
  openLogs.push(log);
  return log;
}

/** Reads every batch from `from` to the log end, segment by segment. */
function readAll(log: Log, from = log.logStartOffset): ReturnType<typeof summarizeBatches> {
  const batches: ReturnType<typeof summarizeBatches> = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, { maxBytes: 1 << 20, minOneMessage: true });
    if (records.length === 0) break;
    const summary = summarizeBatches(records);
    batches.push(...summary);
    offset = summary[summary.length - 1].lastOffset + 1;
  }
  return batches;
}

function segmentFiles(): string[] {
  return fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.log'))
    .sort();
}

describe('leader append', () => {
  it('assigns offsets by rewriting the base offset in place and stamps the leader epoch', async () => {
    const log = await openLog();
    const first = simpleBatch(3);
    const second = simpleBatch(2);
    const firstInfo = await log.appendAsLeader(first, 4);
    const secondInfo = await log.appendAsLeader(second, 4);
    expect(firstInfo).toMatchObject({
      firstOffset: 0,
      lastOffset: 2,
      recordCount: 3,
      duplicate: false,
      logAppendTimeMs: -1,
    });
    expect(secondInfo).toMatchObject({ firstOffset: 3, lastOffset: 4, validBytes: second.length });
    expect(second.readBigInt64BE(0)).toBe(3n);
    expect(second.readInt32BE(12)).toBe(4);
    expect(log.logEndOffset).toBe(5);
    const stored = readAll(log);
    expect(
      stored.map((batch) => [batch.baseOffset, batch.lastOffset, batch.partitionLeaderEpoch, batch.crcValid]),
    ).toEqual([
      [0, 2, 4, true],
      [3, 4, 4, true],
    ]);
  });

  it('makes the bytes readable before the append promise is awaited', async () => {
    const log = await openLog({ flushMessages: 1 });
    const pending = log.appendAsLeader(simpleBatch(2), 0);
    expect(log.logEndOffset).toBe(2);
    expect(log.read(0, { maxBytes: 4096, minOneMessage: true }).records.length).toBeGreaterThan(0);
    await pending;
  });

  it('appends several batches of one request together, all or nothing', async () => {
    const log = await openLog();
    const request = Buffer.concat([simpleBatch(2), simpleBatch(3), simpleBatch(1)]);
    const info = await log.appendAsLeader(request, 0);
    expect(info).toMatchObject({ firstOffset: 0, lastOffset: 5, recordCount: 6 });
    const bad = Buffer.concat([simpleBatch(2), simpleBatch(3)]);
    bad[bad.length - 1] ^= 0xff;
    const sizeBefore = log.sizeBytes;
    await expect(log.appendAsLeader(bad, 0)).rejects.toThrow(/batch 1 at byte \d+: CRC-32C mismatch/);
    expect(log.sizeBytes).toBe(sizeBefore);
    expect(log.logEndOffset).toBe(6);
  });

  it('refuses each bad batch with its Kafka error and writes not a byte of it', async () => {
    const log = await openLog({ maxMessageBytes: 2000, messageTimestampAfterMaxMs: 60_000 });
    await log.appendAsLeader(simpleBatch(1), 0);
    const sizeBefore = log.sizeBytes;
    const fileSizeBefore = fs.statSync(path.join(directory, segmentFiles()[0])).size;
    const corrupt = simpleBatch(2);
    corrupt[80] ^= 0x10;
    await expect(log.appendAsLeader(corrupt, 0)).rejects.toBeInstanceOf(CorruptMessageError);
    await expect(log.appendAsLeader(simpleBatch(40, { valueBytes: 100 }), 0)).rejects.toBeInstanceOf(
      MessageTooLargeError,
    );
    await expect(
      log.appendAsLeader(encodeBatch({ records: [{}], recordCount: 2 }), 0),
    ).rejects.toBeInstanceOf(InvalidRecordError);
    await expect(
      log.appendAsLeader(encodeBatch({ records: [{}], baseTimestamp: clock.nowMs() + 3_600_000 }), 0),
    ).rejects.toBeInstanceOf(InvalidTimestampError);
    await expect(log.appendAsLeader(Buffer.alloc(0), 0)).rejects.toBeInstanceOf(InvalidRecordError);
    expect(log.sizeBytes).toBe(sizeBefore);
    expect(fs.statSync(path.join(directory, segmentFiles()[0])).size).toBe(fileSizeBefore);
    expect(log.logEndOffset).toBe(1);
  });

  it('refuses an append larger than segment.bytes with RECORD_LIST_TOO_LARGE', async () => {
    const log = await openLog({ segmentBytes: 1000 });
    await expect(log.appendAsLeader(simpleBatch(30, { valueBytes: 50 }), 0)).rejects.toBeInstanceOf(
      RecordListTooLargeError,
    );
  });

  it('stamps LogAppendTime: max timestamp and timestamp type rewritten, CRC recomputed', async () => {
    const log = await openLog({ messageTimestampType: 'LogAppendTime' });
    const batch = simpleBatch(3);
    const info = await log.appendAsLeader(batch, 0);
    expect(info.logAppendTimeMs).toBe(clock.nowMs());
    expect(info.maxTimestamp).toBe(clock.nowMs());
    expect(info.offsetOfMaxTimestamp).toBe(2);
    const [stored] = readAll(log);
    expect(stored.maxTimestamp).toBe(clock.nowMs());
    expect(stored.crcValid).toBe(true);
    const { records } = log.read(0, { maxBytes: 4096, minOneMessage: true });
    expect(records.readInt16BE(21) & 0x08).toBe(0x08);
  });

  it('reports the max timestamp and its offset for CreateTime', async () => {
    const log = await openLog();
    const request = Buffer.concat([
      encodeBatch({ records: [{}, {}], baseTimestamp: BASE_TIMESTAMP + 50 }),
      encodeBatch({ records: [{}], baseTimestamp: BASE_TIMESTAMP + 10 }),
    ]);
    const info = await log.appendAsLeader(request, 0);
    expect(info.maxTimestamp).toBe(BASE_TIMESTAMP + 51);
    expect(info.offsetOfMaxTimestamp).toBe(1);
  });
});

describe('segments', () => {
  it('rolls on segment.bytes and names segments by their 20-digit base offset', async () => {
    const log = await openLog({ segmentBytes: 1024 });
    for (let i = 0; i < 20; i++) await log.appendAsLeader(simpleBatch(2, { valueBytes: 100 }), 0);
    expect(log.segmentCount).toBeGreaterThan(3);
    const names = segmentFiles();
    expect(names[0]).toBe('00000000000000000000.log');
    for (const name of names) {
      expect(name).toMatch(/^\d{20}\.log$/);
      expect(fs.statSync(path.join(directory, name)).size).toBeLessThanOrEqual(1024);
      expect(fs.existsSync(path.join(directory, name.replace('.log', '.index')))).toBe(true);
      expect(fs.existsSync(path.join(directory, name.replace('.log', '.timeindex')))).toBe(true);
    }
    expect(readAll(log)).toHaveLength(20);
    // a producer state snapshot is written at each roll
    const snapshots = fs.readdirSync(directory).filter((name) => name.endsWith('.snapshot'));
    expect(snapshots.length).toBe(log.segmentCount - 1);
  });

  it('rolls on segment.ms, measured between batch timestamps', async () => {
    const log = await openLog({ segmentMs: 60_000 });
    await log.appendAsLeader(encodeBatch({ records: [{}], baseTimestamp: BASE_TIMESTAMP }), 0);
    await log.appendAsLeader(encodeBatch({ records: [{}], baseTimestamp: BASE_TIMESTAMP + 60_000 }), 0);
    expect(log.segmentCount).toBe(1);
    await log.appendAsLeader(encodeBatch({ records: [{}], baseTimestamp: BASE_TIMESTAMP + 60_001 }), 0);
    expect(log.segmentCount).toBe(2);
    expect(segmentFiles()[1]).toBe('00000000000000000002.log');
  });

  it('rolls when the offset index is full', async () => {
    const log = await openLog({ segmentIndexBytes: 8 * 3, indexIntervalBytes: 1 });
    for (let i = 0; i < 12; i++) await log.appendAsLeader(simpleBatch(1), 0);
    expect(log.segmentCount).toBeGreaterThanOrEqual(3);
    const index = fs.readFileSync(path.join(directory, '00000000000000000000.index'));
    expect(index.length).toBe(24);
  });

  it('writes sparse index entries about every index.interval.bytes', async () => {
    const log = await openLog({ indexIntervalBytes: 1000 });
    const batch = simpleBatch(4, { valueBytes: 50 }); // ~330 bytes
    for (let i = 0; i < 30; i++) await log.appendAsLeader(Buffer.from(batch), 0);
    await log.close(); // the active segment's entries reach the file at roll or close
    const index = fs.readFileSync(path.join(directory, '00000000000000000000.index'));
    const entries = index.length / 8;
    expect(entries).toBeGreaterThanOrEqual(7);
    expect(entries).toBeLessThanOrEqual(10);
    for (let i = 0; i < entries; i++) {
      const position = index.readUInt32BE(i * 8 + 4);
      expect(position % batch.length).toBe(0);
      expect(index.readUInt32BE(i * 8)).toBe((position / batch.length) * 4 + 3);
    }
  });
});

describe('reads', () => {
  async function logWithBatches(count: number, config: Partial<LogConfig> = {}): Promise<Log> {
    const log = await openLog({ indexIntervalBytes: 200, ...config });
    for (let i = 0; i < count; i++) await log.appendAsLeader(simpleBatch(3, { seed: i }), 0);
    return log;
  }

  it('starts at the batch holding the offset and returns whole batches', async () => {
    const log = await logWithBatches(10);
    const result = log.read(7, { maxBytes: 1 << 20, minOneMessage: false });
    expect(result.firstBatchBaseOffset).toBe(6);
    const batches = summarizeBatches(result.records);
    expect(batches[0].baseOffset).toBe(6);
    expect(batches[batches.length - 1].lastOffset).toBe(29);
  });

  it('stays within maxBytes, but returns one whole batch larger than maxBytes when asked', async () => {
    const log = await logWithBatches(10);
    const batchSize = simpleBatch(3).length;
    const twoAndAHalf = Math.floor(batchSize * 2.5);
    expect(
      summarizeBatches(log.read(0, { maxBytes: twoAndAHalf, minOneMessage: false }).records),
    ).toHaveLength(2);
    expect(log.read(0, { maxBytes: 10, minOneMessage: false }).records.length).toBe(0);
    const one = log.read(0, { maxBytes: 10, minOneMessage: true });
    expect(summarizeBatches(one.records)).toHaveLength(1);
  });

  it('never returns a batch at or beyond maxOffset (the high watermark)', async () => {
    const log = await logWithBatches(10);
    const result = log.read(0, { maxBytes: 1 << 20, maxOffset: 9, minOneMessage: true });
    expect(summarizeBatches(result.records).map((batch) => batch.baseOffset)).toEqual([0, 3, 6]);
    expect(log.read(9, { maxBytes: 1 << 20, maxOffset: 9, minOneMessage: true }).records.length).toBe(0);
  });

  it('returns empty at the log end and OFFSET_OUT_OF_RANGE outside [log start, log end]', async () => {
    const log = await logWithBatches(3);
    expect(log.read(9, { maxBytes: 100, minOneMessage: true })).toEqual({
      records: Buffer.alloc(0),
      firstBatchBaseOffset: 9,
    });
    expect(() => log.read(10, { maxBytes: 100, minOneMessage: true })).toThrow(OffsetOutOfRangeError);
    log.maybeIncrementHighWatermark(9);
    await log.maybeIncrementLogStartOffset(4, 'test');
    expect(() => log.read(3, { maxBytes: 100, minOneMessage: true })).toThrow(
      /offset 3 of topic-0 is outside \[4, 9\]/,
    );
    expect(log.read(4, { maxBytes: 1 << 20, minOneMessage: true }).firstBatchBaseOffset).toBe(3);
  });

  it('reads from one segment per call, and moves on when a segment has nothing at the offset', async () => {
    const log = await logWithBatches(12, { segmentBytes: 700 });
    expect(log.segmentCount).toBeGreaterThan(2);
    const first = log.read(0, { maxBytes: 1 << 20, minOneMessage: true });
    const firstBatches = summarizeBatches(first.records);
    const next = firstBatches[firstBatches.length - 1].lastOffset + 1;
    expect(next).toBeLessThan(log.logEndOffset);
    const second = log.read(next, { maxBytes: 1 << 20, minOneMessage: true });
    expect(second.firstBatchBaseOffset).toBe(next);
  });

  it('finds offsets by timestamp, exactly within uncompressed batches', async () => {
    const log = await openLog({ indexIntervalBytes: 1 });
    for (let i = 0; i < 10; i++) {
      await log.appendAsLeader(
        encodeBatch({
          records: [{ timestampDelta: 0 }, { timestampDelta: 5 }, { timestampDelta: 9 }],
          baseTimestamp: BASE_TIMESTAMP + i * 100,
        }),
        i < 5 ? 1 : 2,
      );
    }
    expect(log.fetchOffsetByTimestamp(BASE_TIMESTAMP + 305)).toEqual({
      offset: 10,
      timestampMs: BASE_TIMESTAMP + 305,
      leaderEpoch: 1,
    });
    expect(log.fetchOffsetByTimestamp(BASE_TIMESTAMP + 310)).toMatchObject({ offset: 12 });
    expect(log.fetchOffsetByTimestamp(BASE_TIMESTAMP + 600)).toMatchObject({ offset: 18, leaderEpoch: 2 });
    expect(log.fetchOffsetByTimestamp(0)).toMatchObject({ offset: 0 });
    expect(log.fetchOffsetByTimestamp(BASE_TIMESTAMP + 10_000)).toBeNull();
    expect(log.fetchOffsetByTimestamp(ListOffsetsTimestamp.EARLIEST)).toEqual({
      offset: 0,
      timestampMs: -1,
      leaderEpoch: 1,
    });
    expect(log.fetchOffsetByTimestamp(ListOffsetsTimestamp.LATEST)).toEqual({
      offset: 30,
      timestampMs: -1,
      leaderEpoch: 2,
    });
    expect(log.fetchOffsetByTimestamp(ListOffsetsTimestamp.MAX_TIMESTAMP)).toMatchObject({
      offset: 29,
      timestampMs: BASE_TIMESTAMP + 909,
    });
  });

  it('finds offsets by timestamp at batch level in compressed batches', async () => {
    const log = await openLog();
    await log.appendAsLeader(encodeBatch({ records: [{}, {}], baseTimestamp: BASE_TIMESTAMP }), 0);
    await log.appendAsLeader(
      encodeBatch({
        records: [{}, {}, {}],
        rawRecords: Buffer.from('zzzz'),
        attributes: 1,
        baseTimestamp: BASE_TIMESTAMP + 100,
      }),
      0,
    );
    expect(log.fetchOffsetByTimestamp(BASE_TIMESTAMP + 101)).toEqual({
      offset: 2,
      timestampMs: BASE_TIMESTAMP + 102,
      leaderEpoch: 0,
    });
  });

  it('answers timestamp searches after a restart, from the time index on disk', async () => {
    const config = { indexIntervalBytes: 1, segmentBytes: 600 };
    let log = await openLog(config);
    for (let i = 0; i < 10; i++) {
      await log.appendAsLeader(encodeBatch({ records: [{}], baseTimestamp: BASE_TIMESTAMP + i * 10 }), 0);
    }
    await log.close();
    log = await openLog(config, { hadCleanShutdown: true });
    expect(log.segmentCount).toBeGreaterThan(1);
    expect(log.fetchOffsetByTimestamp(BASE_TIMESTAMP + 55)).toMatchObject({ offset: 6 });
  });
});

describe('high watermark and log start offset', () => {
  it('clamps the high watermark to [log start, log end] and only moves it forward', async () => {
    const log = await openLog();
    await log.appendAsLeader(simpleBatch(10), 0);
    expect(log.maybeIncrementHighWatermark(4)).toBe(true);
    expect(log.maybeIncrementHighWatermark(3)).toBe(false);
    expect(log.highWatermark).toBe(4);
    expect(log.maybeIncrementHighWatermark(100)).toBe(true);
    expect(log.highWatermark).toBe(10);
  });

  it('moves the log start on DeleteRecords, never past the high watermark', async () => {
    const log = await openLog();
    await log.appendAsLeader(simpleBatch(10), 3);
    log.maybeIncrementHighWatermark(6);
    await expect(log.maybeIncrementLogStartOffset(7, 'DeleteRecords')).rejects.toBeInstanceOf(
      OffsetOutOfRangeError,
    );
    expect(await log.maybeIncrementLogStartOffset(5, 'DeleteRecords')).toBe(true);
    expect(await log.maybeIncrementLogStartOffset(2, 'DeleteRecords')).toBe(false);
    expect(log.logStartOffset).toBe(5);
    expect(log.leaderEpochEntries()).toEqual([{ epoch: 3, startOffset: 5 }]);
    expect(log.fetchOffsetByTimestamp(ListOffsetsTimestamp.EARLIEST)).toMatchObject({
      offset: 5,
      leaderEpoch: 3,
    });
  });

  it('keeps the high watermark and log start it was opened with, clamped', async () => {
    let log = await openLog();
    await log.appendAsLeader(simpleBatch(10), 0);
    await log.close();
    log = await openLog({}, { highWatermark: 50, logStartOffset: 2, hadCleanShutdown: true });
    expect(log.highWatermark).toBe(10);
    expect(log.logStartOffset).toBe(2);
  });
});

describe('follower append and truncation', () => {
  it("keeps the leader's offsets and epochs and refuses offsets that go backwards", async () => {
    const log = await openLog();
    const batches = Buffer.concat([
      simpleBatch(3, { baseOffset: 0, partitionLeaderEpoch: 1 }),
      simpleBatch(2, { baseOffset: 3, partitionLeaderEpoch: 2 }),
      simpleBatch(2, { baseOffset: 8, partitionLeaderEpoch: 2 }), // a gap left by compaction on the leader
    ]);
    const info = await log.appendAsFollower(batches);
    expect(info).toMatchObject({ firstOffset: 0, lastOffset: 9, recordCount: 7 });
    expect(log.logEndOffset).toBe(10);
    expect(log.leaderEpochEntries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 3 },
    ]);
    await expect(log.appendAsFollower(simpleBatch(1, { baseOffset: 9 }))).rejects.toThrow(
      /do not follow offset 9/,
    );
    const corrupt = simpleBatch(1, { baseOffset: 10 });
    corrupt[70] ^= 1;
    await expect(log.appendAsFollower(corrupt)).rejects.toBeInstanceOf(CorruptMessageError);
    expect(readAll(log).map((batch) => batch.baseOffset)).toEqual([0, 3, 8]);
  });

  it('truncates to an offset: batches at or after it go, epochs and high watermark follow', async () => {
    const log = await openLog({ segmentBytes: 500 });
    for (let i = 0; i < 12; i++)
      await log.appendAsFollower(simpleBatch(2, { baseOffset: i * 2, partitionLeaderEpoch: i < 6 ? 1 : 2 }));
    log.maybeIncrementHighWatermark(24);
    const segmentsBefore = log.segmentCount;
    await log.truncateTo(13);
    expect(log.logEndOffset).toBe(12); // the batch holding 13 goes whole
    expect(log.highWatermark).toBe(12);
    expect(log.latestEpoch).toBe(1);
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 12 });
    expect(log.segmentCount).toBeLessThan(segmentsBefore);
    expect(readAll(log).map((batch) => batch.baseOffset)).toEqual([0, 2, 4, 6, 8, 10]);
    // appends continue after the truncation point
    await log.appendAsFollower(simpleBatch(2, { baseOffset: 12, partitionLeaderEpoch: 3 }));
    expect(readAll(log).map((batch) => batch.baseOffset)).toEqual([0, 2, 4, 6, 8, 10, 12]);
    await log.truncateTo(100);
    expect(log.logEndOffset).toBe(14);
  });

  it('truncates fully and starts again at an offset', async () => {
    const log = await openLog();
    await log.appendAsLeader(simpleBatch(5), 1);
    await log.truncateFullyAndStartAt(1000);
    expect([log.logStartOffset, log.highWatermark, log.logEndOffset, log.recoveryPoint]).toEqual([
      1000, 1000, 1000, 1000,
    ]);
    expect(log.latestEpoch).toBeNull();
    expect(() => log.read(5, { maxBytes: 100, minOneMessage: true })).toThrow(OffsetOutOfRangeError);
    await log.appendAsFollower(simpleBatch(2, { baseOffset: 1000, partitionLeaderEpoch: 7 }));
    expect(readAll(log).map((batch) => batch.baseOffset)).toEqual([1000]);
    expect(segmentFiles()).toEqual(['00000000000000001000.log']);
  });

  it('answers OffsetForLeaderEpoch from the epoch cache, which survives restarts', async () => {
    let log = await openLog();
    await log.appendAsLeader(simpleBatch(3), 0);
    await log.appendAsLeader(simpleBatch(3), 2);
    await log.appendAsLeader(simpleBatch(3), 5);
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 6 });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 2, endOffset: 6 });
    expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 5, endOffset: 9 });
    await log.close();
    log = await openLog({}, { hadCleanShutdown: true });
    expect(log.leaderEpochEntries()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 3 },
      { epoch: 5, startOffset: 6 },
    ]);
  });
});

describe('idempotent producers', () => {
  const producer = (sequence: number, count: number, epoch = 0) =>
    simpleBatch(count, { producerId: 42, producerEpoch: epoch, baseSequence: sequence });

  it('answers a retry with the original offsets and appends nothing', async () => {
    const log = await openLog();
    await log.appendAsLeader(producer(0, 3), 0);
    await log.appendAsLeader(producer(3, 2), 0);
    const sizeBefore = log.sizeBytes;
    const retry = await log.appendAsLeader(producer(0, 3), 0);
    expect(retry).toMatchObject({ duplicate: true, firstOffset: 0, lastOffset: 2, recordCount: 3 });
    expect(log.sizeBytes).toBe(sizeBefore);
    expect(log.logEndOffset).toBe(5);
  });

  it('refuses a sequence gap and an old epoch, and accepts a new epoch from sequence 0', async () => {
    const log = await openLog();
    await log.appendAsLeader(producer(0, 3, 1), 0);
    await expect(log.appendAsLeader(producer(5, 1, 1), 0)).rejects.toBeInstanceOf(
      OutOfOrderSequenceNumberError,
    );
    await expect(log.appendAsLeader(producer(3, 1, 0), 0)).rejects.toBeInstanceOf(InvalidProducerEpochError);
    await expect(log.appendAsLeader(producer(3, 1, 2), 0)).rejects.toThrow(/must start at sequence 0/);
    await log.appendAsLeader(producer(0, 1, 2), 0);
    expect(log.producerStateOf(42)).toMatchObject({
      epoch: 2,
      batches: [{ firstSequence: 0, firstOffset: 3 }],
    });
  });

  it('still recognises duplicates after a clean restart and after recovery from the log', async () => {
    let log = await openLog({ segmentBytes: 600 });
    for (let i = 0; i < 8; i++) await log.appendAsLeader(producer(i * 2, 2), 0);
    await log.close();
    log = await openLog({ segmentBytes: 600 }, { hadCleanShutdown: true });
    expect(await log.appendAsLeader(producer(14, 2), 0)).toMatchObject({ duplicate: true, firstOffset: 14 });
    await log.close();
    for (const name of fs.readdirSync(directory).filter((file) => file.endsWith('.snapshot'))) {
      fs.rmSync(path.join(directory, name));
    }
    log = await openLog({ segmentBytes: 600 }, { hadCleanShutdown: false });
    expect(await log.appendAsLeader(producer(12, 2), 0)).toMatchObject({ duplicate: true, firstOffset: 12 });
    expect(await log.appendAsLeader(producer(16, 1), 0)).toMatchObject({ duplicate: false, firstOffset: 16 });
  });

  it('rebuilds producer state when the log is truncated', async () => {
    const log = await openLog();
    await log.appendAsLeader(producer(0, 2), 0);
    await log.appendAsLeader(producer(2, 2), 0);
    await log.truncateTo(2);
    expect(log.producerStateOf(42)?.batches.map((batch) => batch.lastSequence)).toEqual([1]);
    expect(await log.appendAsLeader(producer(2, 2), 0)).toMatchObject({ duplicate: false, firstOffset: 2 });
  });

  it('makes a retry wait for the flush of the original under flush-before-acknowledge', async () => {
    const log = await openLog({ flushMessages: 1 });
    const original = log.appendAsLeader(producer(0, 1), 0);
    const retry = log.appendAsLeader(producer(0, 1), 0);
    const info = await retry;
    expect(info.duplicate).toBe(true);
    expect(log.recoveryPoint).toBeGreaterThanOrEqual(1);
    await original;
  });

  it('answers a retry that arrives behind later unflushed appends', async () => {
    const log = await openLog({ flushMessages: 1 });
    const pending = [log.appendAsLeader(producer(0, 2), 0), log.appendAsLeader(simpleBatch(3), 0)];
    const retry = await log.appendAsLeader(producer(0, 2), 0);
    expect(retry).toMatchObject({ duplicate: true, firstOffset: 0, lastOffset: 1 });
    expect(log.recoveryPoint).toBe(5);
    await Promise.all(pending);
  });
});

describe('flush policy', () => {
  it('leaves flushing to the OS by default', async () => {
    const log = await openLog();
    await log.appendAsLeader(simpleBatch(5), 0);
    expect(log.recoveryPoint).toBe(0);
    expect(log.flushCount).toBe(0);
    await log.flush();
    expect(log.recoveryPoint).toBe(5);
    expect(log.flushCount).toBe(1);
  });

  it('flush.messages=1 acknowledges after the fsync that covers the append, one fsync for many appends', async () => {
    const log = await openLog({ flushMessages: 1 });
    const appends = Array.from({ length: 64 }, () => log.appendAsLeader(simpleBatch(1), 0));
    const infos = await Promise.all(appends);
    expect(infos.map((info) => info.firstOffset)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(log.recoveryPoint).toBe(64);
    expect(log.flushCount).toBeLessThanOrEqual(3);
  });

  it('flush.messages=N flushes once N records are unflushed', async () => {
    const log = await openLog({ flushMessages: 10 });
    await log.appendAsLeader(simpleBatch(4), 0);
    await log.appendAsLeader(simpleBatch(4), 0);
    expect(log.recoveryPoint).toBe(0);
    await log.appendAsLeader(simpleBatch(4), 0);
    expect(log.recoveryPoint).toBe(12);
  });

  it('flush.ms flushes data older than the interval', async () => {
    const log = await openLog({ flushMs: 5000 });
    await log.appendAsLeader(simpleBatch(2), 0);
    await log.flushIfDue(clock.nowMs());
    expect(log.recoveryPoint).toBe(0);
    clock.advance(5000);
    await log.flushIfDue(clock.nowMs());
    expect(log.recoveryPoint).toBe(2);
  });
});

describe('retention', () => {
  async function filledLog(config: Partial<LogConfig>): Promise<Log> {
    const log = await openLog({ segmentBytes: 600, fileDeleteDelayMs: 1000, ...config });
    for (let i = 0; i < 20; i++) {
      const records = [{ key: Buffer.from('a') }, { key: Buffer.from('b') }];
      await log.appendAsLeader(encodeBatch({ records, baseTimestamp: BASE_TIMESTAMP + i * 1000 }), 0);
    }
    return log;
  }

  /** Sizes of the live segment files, oldest first. */
  function liveSegmentSizes(): number[] {
    return segmentFiles().map((name) => fs.statSync(path.join(directory, name)).size);
  }

  it('deletes the oldest whole segments beyond retention.bytes, never the active one', async () => {
    const log = await filledLog({ retentionBytes: 1000 });
    log.maybeIncrementHighWatermark(log.logEndOffset);
    const segmentsBefore = log.segmentCount;
    const deleted = await log.deleteOldSegments();
    expect(deleted).toBeGreaterThan(0);
    expect(log.segmentCount).toBe(segmentsBefore - deleted);
    // as in Kafka: the log stays at or above retention.bytes, and deleting one more would go below
    const sizes = liveSegmentSizes();
    expect(log.sizeBytes).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(log.sizeBytes).toBeGreaterThanOrEqual(1000);
    expect(log.sizeBytes - sizes[0]).toBeLessThan(1000);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(() => log.read(0, { maxBytes: 100, minOneMessage: true })).toThrow(OffsetOutOfRangeError);
    expect(readAll(log)[0].baseOffset).toBe(log.logStartOffset);
  });

  it('deletes segments whose newest batch is older than retention.ms', async () => {
    const log = await filledLog({ retentionMs: 10_000 });
    log.maybeIncrementHighWatermark(log.logEndOffset);
    clock.timeMs = BASE_TIMESTAMP + 25_000;
    expect(await log.deleteOldSegments()).toBeGreaterThan(0);
    // batch i (offsets 2i, 2i+1) has max timestamp BASE + i * 1000 + 1: what went was older than 15 s
    const firstKeptBatch = log.logStartOffset / 2;
    expect(BASE_TIMESTAMP + (firstKeptBatch - 1) * 1000 + 1).toBeLessThan(BASE_TIMESTAMP + 15_000);
    // the first segment left holds a batch younger than retention.ms, so nothing more goes
    expect(await log.deleteOldSegments()).toBe(0);
    expect(readAll(log)[0].baseOffset).toBe(log.logStartOffset);
  });

  it('only deletes segments wholly below the high watermark', async () => {
    const log = await filledLog({ retentionBytes: 0 });
    expect(await log.deleteOldSegments()).toBe(0);
    log.maybeIncrementHighWatermark(10);
    await log.deleteOldSegments();
    expect(log.logStartOffset).toBeLessThanOrEqual(10);
  });

  it('deletes segments below a log start moved by DeleteRecords, whatever the policy', async () => {
    const log = await filledLog({ cleanupPolicy: 'compact' });
    log.maybeIncrementHighWatermark(log.logEndOffset);
    await log.maybeIncrementLogStartOffset(20, 'DeleteRecords');
    const deleted = await log.deleteOldSegments();
    expect(deleted).toBeGreaterThan(0);
    expect(log.logStartOffset).toBe(20);
  });

  it('renames deleted segments and removes their files after file.delete.delay.ms', async () => {
    const log = await filledLog({ retentionBytes: 1000 });
    log.maybeIncrementHighWatermark(log.logEndOffset);
    await log.deleteOldSegments();
    const deletedFiles = () => fs.readdirSync(directory).filter((name) => name.endsWith('.deleted'));
    expect(deletedFiles().length).toBeGreaterThan(0);
    clock.advance(1000);
    scheduler.runDue();
    await vi.waitFor(() => expect(deletedFiles()).toEqual([]), { timeout: 10_000 });
  });
});

describe('recovery', () => {
  it('reopens after a clean shutdown without losing anything', async () => {
    let log = await openLog({ segmentBytes: 800 });
    for (let i = 0; i < 10; i++) await log.appendAsLeader(simpleBatch(2), 1);
    const before = readAll(log);
    await log.close();
    log = await openLog({ segmentBytes: 800 }, { hadCleanShutdown: true });
    expect(readAll(log)).toEqual(before);
    expect(log.recoveryPoint).toBe(20);
    await log.appendAsLeader(simpleBatch(1), 1);
    expect(log.logEndOffset).toBe(21);
  });

  it('rebuilds an index that fails its check instead of trusting it', async () => {
    let log = await openLog({ indexIntervalBytes: 1 });
    for (let i = 0; i < 10; i++) await log.appendAsLeader(simpleBatch(2), 0);
    await log.close();
    const indexPath = path.join(directory, '00000000000000000000.index');
    const garbage = Buffer.alloc(40);
    for (let i = 0; i < 5; i++) garbage.writeUInt32BE(100 - i, i * 8);
    fs.writeFileSync(indexPath, garbage);
    log = await openLog({ indexIntervalBytes: 1 }, { hadCleanShutdown: true });
    expect(readAll(log, 7)[0].baseOffset).toBe(6);
    expect(fs.statSync(indexPath).size).toBe(9 * 8);
  });

  it('rebuilds the leader epoch checkpoint from the batches when it is lost', async () => {
    let log = await openLog();
    await log.appendAsLeader(simpleBatch(2), 1);
    await log.appendAsLeader(simpleBatch(2), 4);
    await log.close();
    fs.rmSync(path.join(directory, 'leader-epoch-checkpoint'));
    log = await openLog({}, { hadCleanShutdown: true });
    expect(log.leaderEpochEntries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 4, startOffset: 2 },
    ]);
  });

  it('goes offline on an I/O error and refuses further work with KAFKA_STORAGE_ERROR', async () => {
    const log = await openLog();
    await log.appendAsLeader(simpleBatch(1), 0);
    // Close the file descriptors under the log, as a failing disk would.
    for (const fd of fs.readdirSync('/proc/self/fd')) {
      const target = (() => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return '';
        }
      })();
      if (target.startsWith(directory) && target.endsWith('.log')) fs.closeSync(Number(fd));
    }
    await expect(log.appendAsLeader(simpleBatch(1), 0)).rejects.toBeInstanceOf(KafkaStorageError);
    expect(log.isOffline).toBe(true);
    expect(() => log.read(0, { maxBytes: 100, minOneMessage: true })).toThrow(KafkaStorageError);
    openLogs.splice(openLogs.indexOf(log), 1);
  });
});

describe('close and delete', () => {
  it('refuses calls after close and removes its directory on delete', async () => {
    const log = await openLog();
    await log.appendAsLeader(simpleBatch(1), 0);
    await log.delete();
    expect(fs.existsSync(directory)).toBe(false);
    await expect(log.appendAsLeader(simpleBatch(1), 0)).rejects.toThrow(/closed/);
  });
});
