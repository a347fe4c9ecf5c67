import fs from 'node:fs';
import path from 'node:path';
import { median } from '@sluice/test-support';
import { fdatasync } from '../src/file-io.js';
import { DEFAULT_LOG_CONFIG, Log } from '../src/index.js';
import { makeTempDirectory, removeTempDirectory, testLogger } from '../test/temp-directory.js';
import { fixed, makeBatches, print, printHeader, QUICK } from './bench-support.js';

/**
 * Flush-before-acknowledge (flush.messages=1) with 1, 8 and 64 concurrent appenders, against an appender
 * that does one fsync per batch (write, fdatasync, next), measured in the same run. Each appender awaits
 * its append before sending the next, like a producer with one request in flight. Group commit lets one
 * fdatasync cover every append made while the previous one ran, so throughput grows with concurrency
 * while a per-batch fsync stays flat.
 */

const ROUNDS = QUICK ? 3 : 5;
const ROUND_MS = QUICK ? 300 : 2000;
const BATCH_BYTES = 16 * 1024;

async function fsyncPerBatch(directory: string, batches: Buffer[]): Promise<number> {
  const filePath = path.join(directory, 'per-batch.log');
  const fd = fs.openSync(filePath, 'w');
  let position = 0;
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < ROUND_MS) {
    const batch = batches[count % batches.length];
    fs.writeSync(fd, batch, 0, batch.length, position);
    position += batch.length;
    await fdatasync(fd);
    count++;
  }
  const elapsed = performance.now() - started;
  fs.closeSync(fd);
  fs.rmSync(filePath);
  return count / (elapsed / 1000);
}

async function groupCommit(
  directory: string,
  batches: Buffer[],
  appenders: number,
): Promise<{ perSecond: number; fsyncs: number; appends: number }> {
  const log = await Log.open({
    directory: path.join(directory, 'flush-0'),
    topic: 'flush',
    partition: 0,
    config: { ...DEFAULT_LOG_CONFIG, flushMessages: 1 },
    logger: testLogger,
  });
  let count = 0;
  const started = performance.now();
  const appender = async (id: number): Promise<void> => {
    // each appender owns its batch buffers: appendAsLeader rewrites offsets in place
    const own = batches.map((batch) => Buffer.from(batch));
    let i = id;
    while (performance.now() - started < ROUND_MS) {
      await log.appendAsLeader(own[i++ % own.length], 1);
      count++;
    }
  };
  await Promise.all(Array.from({ length: appenders }, (_, id) => appender(id)));
  const elapsed = performance.now() - started;
  const fsyncs = log.flushCount;
  await log.delete();
  return { perSecond: count / (elapsed / 1000), fsyncs, appends: count };
}

async function main(): Promise<void> {
  printHeader('@sluice/log flush-before-acknowledge (group commit)', 'pnpm --filter @sluice/log bench:flush');
  const directory = makeTempDirectory('sluice-bench-flush-');
  const batches = makeBatches(16, BATCH_BYTES, 100);
  print(`batches of ${batches[0].length} bytes, ${ROUND_MS} ms per measurement, ${ROUNDS} rounds, medians`);
  try {
    await fsyncPerBatch(directory, batches);
    for (const appenders of [1, 8, 64]) {
      const baseline: number[] = [];
      const ours: number[] = [];
      const ratios: number[] = [];
      const appendsPerFsync: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const perBatch = await fsyncPerBatch(directory, batches);
        const grouped = await groupCommit(directory, batches, appenders);
        baseline.push(perBatch);
        ours.push(grouped.perSecond);
        ratios.push(grouped.perSecond / perBatch);
        appendsPerFsync.push(grouped.appends / Math.max(1, grouped.fsyncs));
      }
      print(`${appenders} concurrent appender(s):`);
      print(
        `  one fsync per batch     appends/s per round: ${baseline.map((rate) => fixed(rate, 0)).join(' ')}  median ${fixed(median(baseline), 0)}`,
      );
      print(
        `  flush.messages=1 (log)  appends/s per round: ${ours.map((rate) => fixed(rate, 0)).join(' ')}  median ${fixed(median(ours), 0)} (${fixed((median(ours) * batches[0].length) / 2 ** 20, 1)} MB/s)`,
      );
      print(`  appends per fsync (group commit) median ${fixed(median(appendsPerFsync), 1)}`);
      print(
        `  ratio log / one-fsync-per-batch  per round: ${ratios.map((ratio) => fixed(ratio, 2)).join(' ')}  median ${fixed(median(ratios), 2)}`,
      );
      print();
    }
  } finally {
    removeTempDirectory(directory);
  }
}

await main();
