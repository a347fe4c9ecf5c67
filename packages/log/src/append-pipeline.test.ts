import fs from 'node:fs';
import path from 'node:path';
import { nativeAvailable } from '@sluice/native';
import { CorruptMessageError, InvalidRecordError } from '@sluice/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  batchForOffsets,
  encodeBatch,
  resealBatch,
  simpleBatch,
  summarizeBatches,
} from '../test/record-batch-builder.js';
import { makeTempDirectory, removeTempDirectory, testLogger } from '../test/temp-directory.js';
import { LARGE_APPEND_BYTES } from './append-pipeline.js';
import { Log, type LogAppendInfo } from './log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js';

let root: string;
const openLogs: Log[] = [];

beforeEach(() => {
  root = makeTempDirectory('sluice-append-pipeline-');
});

afterEach(async () => {
  for (const log of openLogs.splice(0)) await log.close().catch(() => undefined);
  removeTempDirectory(root);
});

async function openLog(partition = 0, config: Partial<LogConfig> = {}): Promise<Log> {
  const log = await Log.open({
    directory: path.join(root, `topic-${partition}`),
    topic: 'topic',
    partition,
    config: { ...DEFAULT_LOG_CONFIG, ...config },
    logger: testLogger,
  });
  openLogs.push(log);
  return log;
}

/** A batch of 1,000 records of 300-byte values (about 320 KiB): large enough to be gathered. */
function largeBatch(seed: number): Buffer {
  const batch = simpleBatch(1000, { valueBytes: 300, seed, baseTimestamp: Date.now() });
  expect(batch.length).toBeGreaterThanOrEqual(LARGE_APPEND_BYTES);
  return batch;
}

/** Offsets and CRC validity of every batch stored, and the bytes of the segment file. */
function stored(log: Log): { batches: [number, number, boolean][]; fileBytes: number } {
  const { records } = log.read(log.logStartOffset, { maxBytes: 64 << 20, minOneMessage: true });
  const batches = summarizeBatches(records).map((batch): [number, number, boolean] => [
    batch.baseOffset,
    batch.lastOffset,
    batch.crcValid,
  ]);
  const segment = fs.readdirSync(log.directory).find((name) => name.endsWith('.log'));
  return { batches, fileBytes: fs.statSync(path.join(log.directory, segment ?? '')).size };
}

describe.runIf(nativeAvailable)('large appends made together (AppendPipeline)', () => {
  it('take effect in call order at the end of the turn, all checks but the first on the helper thread', async () => {
    const log = await openLog();
    const batches = [1, 2, 3, 4].map(largeBatch);
    const appends = batches.map((batch) => log.appendAsLeader(batch, 3));
    // Large appends wait for the end of the event loop's turn.
    expect(log.logEndOffset).toBe(0);
    expect(log.queuedAppends).toBe(4);
    const infos = await Promise.all(appends);
    expect(infos.map((info) => [info.firstOffset, info.lastOffset])).toEqual([
      [0, 999],
      [1000, 1999],
      [2000, 2999],
      [3000, 3999],
    ]);
    expect(log.offloadedChecks).toBe(3);
    expect(log.queuedAppends).toBe(0);
    expect(stored(log)).toEqual({
      batches: [
        [0, 999, true],
        [1000, 1999, true],
        [2000, 2999, true],
        [3000, 3999, true],
      ],
      fileBytes: batches.reduce((sum, batch) => sum + batch.length, 0),
    });
  });

  it('refuse a corrupt or malformed batch in its turn, writing none of it, and go on with the rest', async () => {
    const log = await openLog();
    const good = largeBatch(1);
    const corrupt = largeBatch(2);
    corrupt[corrupt.length - 5] ^= 0xff; // a value byte: the CRC-32C no longer matches
    const malformed = largeBatch(3);
    malformed[61] = 0x03;
    resealBatch(malformed);
    const last = largeBatch(4);
    const outcomes = await Promise.allSettled([
      log.appendAsLeader(good, 0),
      log.appendAsLeader(corrupt, 0),
      log.appendAsLeader(malformed, 0),
      log.appendAsLeader(last, 0),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    const reasons = outcomes.map((outcome) => (outcome.status === 'rejected' ? outcome.reason : null));
    expect(reasons[1]).toBeInstanceOf(CorruptMessageError);
    expect(String(reasons[1].message)).toMatch(/CRC-32C mismatch/);
    expect(reasons[2]).toBeInstanceOf(CorruptMessageError);
    expect(String(reasons[2].message)).toMatch(/record 0/);
    // Checked on the helper thread, refused with the error the check in place gives.
    expect(log.offloadedChecks).toBe(3);
    await expect(log.appendAsLeader(Buffer.from(malformed), 0)).rejects.toThrow(reasons[2].message);
    expect(stored(log)).toEqual({
      batches: [
        [0, 999, true],
        [1000, 1999, true],
      ],
      fileBytes: good.length + last.length,
    });
  });

  it('keep a small append or a follower append made behind queued ones in its place', async () => {
    const log = await openLog();
    const order: string[] = [];
    const note = (name: string) => (info: LogAppendInfo) => order.push(`${name}@${info.firstOffset}`);
    const large = log.appendAsLeader(largeBatch(1), 0, note('large'));
    const small = log.appendAsLeader(simpleBatch(5), 0, note('small'));
    expect(log.logEndOffset).toBe(0); // the small one did not overtake
    const follower = log.appendAsFollower(batchForOffsets(1005, 3, { baseOffset: 1005 }));
    const infos = await Promise.all([large, small, follower]);
    expect(order).toEqual(['large@0', 'small@1000']);
    expect(infos.map((info) => info.firstOffset)).toEqual([0, 1000, 1005]);
    expect(log.logEndOffset).toBe(1008);
  });

  it('tell onAppended once the bytes are readable; truncation and close wait for queued appends', async () => {
    const log = await openLog();
    const seen: number[] = [];
    const first = log.appendAsLeader(largeBatch(1), 0, (info) => {
      seen.push(log.read(info.firstOffset, { maxBytes: 1, minOneMessage: true }).records.length);
    });
    const second = log.appendAsLeader(largeBatch(2), 0);
    await log.truncateTo(500); // after both appends: the first batch goes whole, as it holds offset 500
    await expect(Promise.all([first, second])).resolves.toHaveLength(2);
    expect(seen).toEqual([expect.any(Number)]);
    expect(seen[0]).toBeGreaterThanOrEqual(LARGE_APPEND_BYTES);
    expect(log.logEndOffset).toBe(0);

    const third = log.appendAsLeader(largeBatch(3), 0);
    await log.close();
    await expect(third).resolves.toMatchObject({ firstOffset: 0, lastOffset: 999 });
    const reopened = await openLog();
    expect(reopened.logEndOffset).toBe(1000);
  });

  it('check a batch against the topic config at its turn, not at the time of the check', async () => {
    const log = await openLog();
    const keyless = () =>
      encodeBatch({
        baseTimestamp: Date.now(),
        records: Array.from({ length: 1000 }, () => ({ key: null, value: Buffer.alloc(300, 7) })),
      });
    const outcomes = Promise.allSettled([
      log.appendAsLeader(largeBatch(1), 0, () => {
        // Between the helper's check of the next batch (no keys needed then) and that batch's turn.
        log.updateConfig({ ...log.config, cleanupPolicy: 'compact' });
      }),
      log.appendAsLeader(keyless(), 0),
    ]);
    const [first, second] = await outcomes;
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('rejected');
    expect(second.status === 'rejected' && second.reason).toBeInstanceOf(InvalidRecordError);
    expect(log.offloadedChecks).toBe(1);
    expect(log.logEndOffset).toBe(1000);
  });

  it('run side by side in two logs that share the helper thread', async () => {
    const logs = [await openLog(0), await openLog(1)];
    const appends = logs.map((log, partition) =>
      Promise.all([1, 2, 3].map((seed) => log.appendAsLeader(largeBatch(seed + 10 * partition), 0))),
    );
    const infos = await Promise.all(appends);
    for (const [partition, log] of logs.entries()) {
      expect(infos[partition].map((info) => info.firstOffset)).toEqual([0, 1000, 2000]);
      expect(stored(log).batches.every(([, , crcValid]) => crcValid)).toBe(true);
    }
    // Each log's later appends were checked on the helper, unless it was busy with the other log's.
    const offloaded = logs[0].offloadedChecks + logs[1].offloadedChecks;
    expect(offloaded).toBeGreaterThanOrEqual(2);
    expect(offloaded).toBeLessThanOrEqual(4);
  });
});

describe.runIf(nativeAvailable)('small appends made together (AppendPipeline)', () => {
  const small = (seed: number, count = 20) =>
    simpleBatch(count, { valueBytes: 100, seed, baseTimestamp: Date.now() });

  it('run at once when made one at a time, and queue for one group write when made in a stretch', async () => {
    const log = await openLog();
    for (let seed = 0; seed < 3; seed++) {
      await log.appendAsLeader(small(seed), 0);
      await log.appendAsLeader(small(seed + 10), 0);
    }
    expect(log.groupedAppends).toBe(0);
    expect(log.logEndOffset).toBe(120);

    const batches = [1, 2, 3, 4, 5].map((seed) => small(seed));
    const appends = batches.map((batch) => log.appendAsLeader(batch, 0));
    // The first ran at once; the second, made in the same stretch, started a pipeline.
    expect(log.logEndOffset).toBe(140);
    expect(log.queuedAppends).toBe(4);
    const infos = await Promise.all(appends);
    expect(infos.map((info) => info.firstOffset)).toEqual([120, 140, 160, 180, 200]);
    expect(log.groupedAppends).toBe(4);
    const { batches: stored120, fileBytes } = stored(log);
    expect(stored120.slice(6)).toEqual([
      [120, 139, true],
      [140, 159, true],
      [160, 179, true],
      [180, 199, true],
      [200, 219, true],
    ]);
    expect(fileBytes).toBe(
      3 * (small(0).length + small(10).length) + batches.reduce((sum, b) => sum + b.length, 0),
    );

    // A turn of the queue with a single append ends the pipeline: the next append runs at once again.
    await log.appendAsLeader(small(6), 0);
    const alone = log.appendAsLeader(small(7), 0);
    expect(log.logEndOffset).toBe(260);
    await alone;
  });

  it('refuse a bad append in a group, writing none of it, and write the others', async () => {
    const log = await openLog();
    const corrupt = small(2);
    corrupt[corrupt.length - 3] ^= 0x55;
    const batches = [small(1), corrupt, small(3), small(4)];
    const outcomes = await Promise.allSettled(batches.map((batch) => log.appendAsLeader(batch, 0)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect(outcomes[1].status === 'rejected' && outcomes[1].reason).toBeInstanceOf(CorruptMessageError);
    expect(stored(log)).toEqual({
      batches: [
        [0, 19, true],
        [20, 39, true],
        [40, 59, true],
      ],
      fileBytes: batches[0].length + batches[2].length + batches[3].length,
    });
  });

  it('roll segments in the middle of a group, every batch readable and indexed', async () => {
    const log = await openLog(0, { segmentBytes: 3000, indexIntervalBytes: 100 });
    const batches = Array.from({ length: 12 }, (_, seed) => small(seed, 10));
    const infos = await Promise.all(batches.map((batch) => log.appendAsLeader(batch, 2)));
    expect(infos.map((info) => info.firstOffset)).toEqual(batches.map((_, index) => index * 10));
    expect(log.groupedAppends).toBe(11);
    expect(log.segmentCount).toBeGreaterThanOrEqual(4);
    for (let offset = 0; offset < 120; offset += 7) {
      const { records } = log.read(offset, { maxBytes: 1, minOneMessage: true });
      const [batch] = summarizeBatches(records);
      expect(batch.baseOffset).toBe(Math.floor(offset / 10) * 10);
      expect(batch.crcValid).toBe(true);
      expect(batch.partitionLeaderEpoch).toBe(2);
    }
    await log.close();
    const reopened = await openLog(0, { segmentBytes: 3000, indexIntervalBytes: 100 });
    expect(reopened.logEndOffset).toBe(120);
  });

  it('take appends made by onAppended callbacks in order, across turns of the queue', async () => {
    const log = await openLog();
    const appends: Promise<LogAppendInfo>[] = [];
    const total = 600;
    const make = (): void => {
      if (appends.length >= total) return;
      const batch = appends.length % 100 === 99 ? largeBatch(appends.length) : small(appends.length, 3);
      // Each append, once in, makes two more: the queue keeps filling while it runs.
      appends.push(
        log.appendAsLeader(batch, 0, () => {
          make();
          make();
        }),
      );
    };
    for (let i = 0; i < 4; i++) make();
    await vi.waitFor(() => expect(appends.length).toBe(total), { timeout: 10_000 });
    const infos = await Promise.all(appends);
    const byOffset = [...infos].sort((a, b) => a.firstOffset - b.firstOffset);
    let expected = 0;
    for (const info of byOffset) {
      expect(info.firstOffset).toBe(expected);
      expected = info.lastOffset + 1;
    }
    expect(log.logEndOffset).toBe(expected);
    expect(log.queuedAppends).toBe(0);
    expect(log.groupedAppends).toBeGreaterThan(total / 2);
  });

  it("keep an idempotent producer's sequence across a group, and answer a retry in it with the original offsets", async () => {
    const log = await openLog();
    const producer = (baseSequence: number) =>
      simpleBatch(5, { producerId: 9, producerEpoch: 0, baseSequence, seed: baseSequence });
    const infos = await Promise.all([
      log.appendAsLeader(producer(0), 0),
      log.appendAsLeader(producer(5), 0),
      log.appendAsLeader(producer(10), 0),
      log.appendAsLeader(producer(5), 0),
    ]);
    expect(infos.map((info) => [info.firstOffset, info.duplicate])).toEqual([
      [0, false],
      [5, false],
      [10, false],
      [5, true],
    ]);
    expect(log.producerStateOf(9)?.batches.at(-1)?.lastSequence).toBe(14);
    expect(stored(log).batches).toHaveLength(3);
  });
});
