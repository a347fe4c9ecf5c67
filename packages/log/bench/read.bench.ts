import fs from 'node:fs';
import path from 'node:path';
import { median } from '@sluice/test-support';
import { DEFAULT_LOG_CONFIG, Log } from '../src/index.js';
import { makeTempDirectory, removeTempDirectory, testLogger } from '../test/temp-directory.js';
import { fixed, makeBatches, megabytesPerSecond, print, printHeader, QUICK } from './bench-support.js';

/**
 * Reads from the page cache: a log of 16 KiB batches is written (and read once to be sure it is cached),
 * then read start to end with `Log.read` (1 MiB per call, whole batches, one segment per call, as a
 * consumer fetch does), against plain `fs.readSync` of the same segment files in 1 MiB chunks, in the same
 * run, several rounds.
 */

const ROUNDS = QUICK ? 3 : 7;
const LOG_BYTES = QUICK ? 32 * 2 ** 20 : 512 * 2 ** 20;
const READ_BYTES = 2 ** 20;

function readWithLog(log: Log): number {
  let offset = log.logStartOffset;
  let bytes = 0;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, { maxBytes: READ_BYTES, minOneMessage: true });
    bytes += records.length;
    // next offset: last batch's base + lastOffsetDelta + 1, read from the last batch header
    let at = 0;
    let last = 0;
    while (at < records.length) {
      last = records.readUInt32BE(at + 4) + records.readInt32BE(at + 23);
      at += records.readInt32BE(at + 8) + 12;
    }
    offset = last + 1;
  }
  return bytes;
}

/** Plain reads of the segment files, into one reused buffer or (`freshBuffers`) a new one per read. */
function readPlain(directory: string, freshBuffers: boolean): number {
  let bytes = 0;
  let buffer = Buffer.allocUnsafe(READ_BYTES);
  const names = fs.readdirSync(directory).filter((file) => file.endsWith('.log'));
  for (const name of names.sort()) {
    const fd = fs.openSync(path.join(directory, name), 'r');
    let position = 0;
    for (;;) {
      if (freshBuffers) buffer = Buffer.allocUnsafe(READ_BYTES);
      const count = fs.readSync(fd, buffer, 0, READ_BYTES, position);
      if (count === 0) break;
      position += count;
      bytes += count;
    }
    fs.closeSync(fd);
  }
  return bytes;
}

async function main(): Promise<void> {
  printHeader('@sluice/log reads from the page cache', 'pnpm --filter @sluice/log bench:read');
  const root = makeTempDirectory('sluice-bench-read-');
  const directory = path.join(root, 'read-0');
  try {
    const log = await Log.open({
      directory,
      topic: 'read',
      partition: 0,
      config: { ...DEFAULT_LOG_CONFIG, segmentBytes: 128 * 2 ** 20 },
      logger: testLogger,
    });
    const batches = makeBatches(64, 16 * 1024, 100);
    let written = 0;
    for (let i = 0; written < LOG_BYTES; i++) {
      const info = await log.appendAsLeader(batches[i % batches.length], 1);
      written += info.validBytes;
    }
    readWithLog(log);
    readPlain(directory, false);
    const ours: number[] = [];
    const plain: number[] = [];
    const fresh: number[] = [];
    const ratios: number[] = [];
    const freshRatios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let started = performance.now();
      const plainBytes = readPlain(directory, false);
      const plainRate = megabytesPerSecond(plainBytes, performance.now() - started);
      started = performance.now();
      const freshBytes = readPlain(directory, true);
      const freshRate = megabytesPerSecond(freshBytes, performance.now() - started);
      started = performance.now();
      const logBytes = readWithLog(log);
      const logRate = megabytesPerSecond(logBytes, performance.now() - started);
      if (logBytes !== written) throw new Error(`read ${logBytes} bytes, wrote ${written}`);
      plain.push(plainRate);
      fresh.push(freshRate);
      ours.push(logRate);
      ratios.push(logRate / plainRate);
      freshRatios.push(logRate / freshRate);
    }
    print(
      `log of ${fixed(written / 2 ** 20, 0)} MiB in ${log.segmentCount} segments of 16 KiB batches, ${READ_BYTES / 2 ** 20} MiB per read, ${ROUNDS} rounds`,
    );
    const perRound = (values: number[], digits = 0) => values.map((value) => fixed(value, digits)).join(' ');
    print(
      `  fs.readSync, one reused buffer     MB/s per round: ${perRound(plain)}  median ${fixed(median(plain), 0)}`,
    );
    print(
      `  fs.readSync, a new buffer per read MB/s per round: ${perRound(fresh)}  median ${fixed(median(fresh), 0)}`,
    );
    print(
      `  Log.read (a new buffer per read)   MB/s per round: ${perRound(ours)}  median ${fixed(median(ours), 0)}`,
    );
    print(
      `  ratio log / reused-buffer reads    per round: ${perRound(ratios, 2)}  median ${fixed(median(ratios), 2)}`,
    );
    print(
      `  ratio log / new-buffer reads       per round: ${perRound(freshRatios, 2)}  median ${fixed(median(freshRatios), 2)}`,
    );
    await log.delete();
  } finally {
    removeTempDirectory(root);
  }
}

await main();
