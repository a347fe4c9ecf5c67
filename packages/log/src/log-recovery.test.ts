import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simpleBatch, summarizeBatches } from '../test/record-batch-builder.js';
import { makeTempDirectory, removeTempDirectory, testLogger } from '../test/temp-directory.js';
import { Log } from './log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js';

/** Torn writes and flipped bytes: what a crash or a bad disk leaves, and what recovery makes of it. */

let directory: string;
const config: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1500, indexIntervalBytes: 150 };
const opened: Log[] = [];

beforeEach(() => {
  directory = path.join(makeTempDirectory(), 'events-3');
});
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close().catch(() => undefined);
  removeTempDirectory(path.dirname(directory));
});

async function open(options: { hadCleanShutdown?: boolean; recoveryPoint?: number } = {}): Promise<Log> {
  const log = await Log.open({
    directory,
    topic: 'events',
    partition: 3,
    config,
    logger: testLogger,
    ...options,
  });
  opened.push(log);
  return log;
}

/** Writes `count` batches of 3 records (offsets 3i..3i+2), then closes cleanly. Returns batch sizes. */
async function writeBatches(count: number): Promise<number[]> {
  const log = await open();
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) {
    const batch = simpleBatch(3, { seed: i, valueBytes: 20 + (i % 5) * 10 });
    sizes.push(batch.length);
    await log.appendAsLeader(batch, 1);
  }
  await log.close();
  opened.splice(opened.indexOf(log), 1);
  return sizes;
}

function segmentPaths(): string[] {
  return fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.log'))
    .sort()
    .map((name) => path.join(directory, name));
}

/** Every batch from the log start to the end; each must carry a valid CRC. */
function readEverything(log: Log): ReturnType<typeof summarizeBatches> {
  const batches: ReturnType<typeof summarizeBatches> = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, { maxBytes: 1 << 20, minOneMessage: true });
    if (records.length === 0) break;
    const summary = summarizeBatches(records);
    batches.push(...summary);
    offset = summary[summary.length - 1].lastOffset + 1;
  }
  for (const batch of batches) expect(batch.crcValid).toBe(true);
  return batches;
}

/** Byte positions where the batches of a segment file start. */
function batchStarts(filePath: string): number[] {
  const bytes = fs.readFileSync(filePath);
  const starts: number[] = [];
  for (let at = 0; at < bytes.length; at += bytes.readInt32BE(at + 8) + 12) starts.push(at);
  return starts;
}

describe('recovery from torn writes', () => {
  it('cuts a segment torn in the middle of a batch back to the last whole batch', async () => {
    await writeBatches(8);
    const active = segmentPaths().at(-1) as string;
    const starts = batchStarts(active);
    const lastStart = starts[starts.length - 1];
    fs.truncateSync(active, lastStart + 30);
    const log = await open({ hadCleanShutdown: false });
    expect(fs.statSync(active).size).toBe(lastStart);
    const batches = readEverything(log);
    expect(log.logEndOffset).toBe(batches[batches.length - 1].lastOffset + 1);
    expect(log.logEndOffset).toBe(21);
    const info = await log.appendAsLeader(simpleBatch(1), 2);
    expect(info.firstOffset).toBe(21);
  });

  it('cuts the tail at a batch whose bytes were flipped', async () => {
    await writeBatches(5);
    expect(segmentPaths()).toHaveLength(1);
    const active = segmentPaths()[0];
    const starts = batchStarts(active);
    const bytes = fs.readFileSync(active);
    const victim = starts[starts.length - 2];
    bytes[victim + 70] ^= 0x5a;
    bytes[victim + 71] ^= 0xa5;
    fs.writeFileSync(active, bytes);
    const log = await open({ hadCleanShutdown: false });
    expect(fs.statSync(active).size).toBe(victim);
    expect(readEverything(log).at(-1)?.lastOffset).toBe(8);
    expect(log.logEndOffset).toBe(9);
  });

  it('cuts zeros and garbage left after the last batch', async () => {
    await writeBatches(4);
    const active = segmentPaths().at(-1) as string;
    const sizeBefore = fs.statSync(active).size;
    fs.appendFileSync(active, Buffer.alloc(4096));
    let log = await open({ hadCleanShutdown: false });
    expect(fs.statSync(active).size).toBe(sizeBefore);
    expect(log.logEndOffset).toBe(12);
    await log.close();
    opened.pop();
    fs.appendFileSync(active, Buffer.from('this is not a record batch header, not at all, not even close'));
    log = await open({ hadCleanShutdown: false });
    expect(fs.statSync(active).size).toBe(sizeBefore);
    expect(log.logEndOffset).toBe(12);
  });

  it('checks the tail even after a clean shutdown, and recovers it when it is torn', async () => {
    await writeBatches(5);
    const active = segmentPaths().at(-1) as string;
    const starts = batchStarts(active);
    fs.truncateSync(active, starts[starts.length - 1] + 5);
    const log = await open({ hadCleanShutdown: true });
    expect(log.logEndOffset).toBe(12);
    expect(readEverything(log)).toHaveLength(4);
  });

  it('deletes the segments after a corrupt one, since nothing after it can be trusted', async () => {
    await writeBatches(30);
    const segments = segmentPaths();
    expect(segments.length).toBeGreaterThan(3);
    const bytes = fs.readFileSync(segments[1]);
    bytes[bytes.length - 10] ^= 0xff;
    fs.writeFileSync(segments[1], bytes);
    const log = await open({ hadCleanShutdown: false, recoveryPoint: 0 });
    expect(segmentPaths()).toEqual(segments.slice(0, 2));
    const batches = readEverything(log);
    expect(log.logEndOffset).toBe(batches[batches.length - 1].lastOffset + 1);
    for (let i = 0; i < batches.length; i++) expect(batches[i].baseOffset).toBe(i * 3);
  });

  it('re-reads only from the segment holding the recovery point', async () => {
    await writeBatches(30);
    const segments = segmentPaths();
    const firstBytes = fs.readFileSync(segments[0]);
    firstBytes[100] ^= 0xff; // corruption below the recovery point is not looked for
    fs.writeFileSync(segments[0], firstBytes);
    const thirdBase = Number(path.basename(segments[2], '.log'));
    const log = await open({ hadCleanShutdown: false, recoveryPoint: thirdBase + 1 });
    expect(log.logEndOffset).toBe(90);
    expect(segmentPaths()).toEqual(segments);
  });

  it('rebuilds torn index files of the segments it recovers', async () => {
    await writeBatches(6);
    const indexPath = (segmentPaths().at(-1) as string).replace(/\.log$/, '.index');
    fs.appendFileSync(indexPath, Buffer.from([1, 2, 3]));
    const log = await open({ hadCleanShutdown: false });
    expect(fs.statSync(indexPath).size % 8).toBe(0);
    expect(readEverything(log)).toHaveLength(6);
  });

  it('makes what it recovered durable: the recovery point is the log end afterwards', async () => {
    await writeBatches(6);
    const log = await open({ hadCleanShutdown: false });
    expect(log.recoveryPoint).toBe(log.logEndOffset);
  });

  it('empties a log whose end falls before its checkpointed start offset', async () => {
    await writeBatches(2);
    const log = await Log.open({
      directory,
      topic: 'events',
      partition: 3,
      config,
      logger: testLogger,
      logStartOffset: 500,
    });
    opened.push(log);
    expect([log.logStartOffset, log.logEndOffset]).toEqual([500, 500]);
    expect(segmentPaths().map((file) => path.basename(file))).toEqual(['00000000000000000500.log']);
  });
});
