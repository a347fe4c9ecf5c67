import fs from 'node:fs';
import path from 'node:path';
import { median } from '@sluice/test-support';
import { validateLeaderBatch } from '../src/batch-validation.js';
import { DEFAULT_LOG_CONFIG, Log } from '../src/index.js';
import { makeTempDirectory, removeTempDirectory, testLogger } from '../test/temp-directory.js';
import { fixed, makeBatches, megabytesPerSecond, print, printHeader, QUICK } from './bench-support.js';

/**
 * Leader appends of batches of 100-byte records, 16 KiB and 1 MiB batches, flush left to the OS (Kafka's
 * default): MB/s of `Log.appendAsLeader` (validation with CRC-32C and the record walk, offset assignment,
 * index maintenance, write to the page cache) against a plain `fs.writeSync` appender of the same bytes,
 * measured in the same run, alternating, several rounds. Target: ratio ≥ 0.8.
 */

const ROUNDS = QUICK ? 3 : 7;
const TOTAL_BYTES = QUICK ? 16 * 2 ** 20 : 256 * 2 ** 20;
const VALUE_BYTES = 100;

function plainAppender(directory: string, batches: Buffer[], appends: number): number {
  const filePath = path.join(directory, 'plain.log');
  const fd = fs.openSync(filePath, 'w');
  let position = 0;
  const started = performance.now();
  for (let i = 0; i < appends; i++) {
    const batch = batches[i % batches.length];
    let written = 0;
    while (written < batch.length)
      written += fs.writeSync(fd, batch, written, batch.length - written, position + written);
    position += batch.length;
  }
  const elapsed = performance.now() - started;
  fs.closeSync(fd);
  fs.rmSync(filePath);
  return elapsed;
}

async function logAppender(directory: string, batches: Buffer[], appends: number): Promise<number> {
  const logDirectory = path.join(directory, 'bench-0');
  const log = await Log.open({
    directory: logDirectory,
    topic: 'bench',
    partition: 0,
    config: { ...DEFAULT_LOG_CONFIG },
    logger: testLogger,
  });
  const started = performance.now();
  for (let i = 0; i < appends; i++) await log.appendAsLeader(batches[i % batches.length], 1);
  const elapsed = performance.now() - started;
  await log.delete();
  return elapsed;
}

/** Validation alone (CRC-32C + record walk), the part of an append that a plain write does not do. */
function validationOnly(batches: Buffer[], appends: number): number {
  const config = { ...DEFAULT_LOG_CONFIG, maxMessageBytes: 2 * 2 ** 20 };
  const nowMs = Date.now();
  const started = performance.now();
  for (let i = 0; i < appends; i++)
    validateLeaderBatch(batches[i % batches.length], 0, 0, config, nowMs, false);
  return performance.now() - started;
}

async function main(): Promise<void> {
  printHeader('@sluice/log append throughput', 'pnpm --filter @sluice/log bench:append');
  const directory = makeTempDirectory('sluice-bench-append-');
  try {
    for (const batchBytes of [16 * 1024, 1024 * 1024]) {
      const batches = makeBatches(batchBytes >= 2 ** 20 ? 8 : 64, batchBytes, VALUE_BYTES);
      const batchSize = batches[0].length;
      const appends = Math.max(1, Math.floor(TOTAL_BYTES / batchSize));
      const bytes = appends * batchSize;
      const plainRates: number[] = [];
      const logRates: number[] = [];
      const ratios: number[] = [];
      const validationRates: number[] = [];
      // warm-up round, not counted
      plainAppender(directory, batches, Math.min(appends, 64));
      await logAppender(directory, batches, Math.min(appends, 64));
      for (let round = 0; round < ROUNDS; round++) {
        const plain = megabytesPerSecond(bytes, plainAppender(directory, batches, appends));
        const ours = megabytesPerSecond(bytes, await logAppender(directory, batches, appends));
        validationRates.push(megabytesPerSecond(bytes, validationOnly(batches, appends)));
        plainRates.push(plain);
        logRates.push(ours);
        ratios.push(ours / plain);
      }
      print(
        `batches of ${batchSize} bytes (${Math.round(batchSize / (VALUE_BYTES + 8))} records of ${VALUE_BYTES}-byte values), ${appends} appends = ${fixed(bytes / 2 ** 20, 0)} MiB per round, ${ROUNDS} rounds`,
      );
      print(
        `  fs.writeSync baseline  MB/s per round: ${plainRates.map((rate) => fixed(rate, 0)).join(' ')}  median ${fixed(median(plainRates), 0)}`,
      );
      print(
        `  Log.appendAsLeader     MB/s per round: ${logRates.map((rate) => fixed(rate, 0)).join(' ')}  median ${fixed(median(logRates), 0)}`,
      );
      print(
        `  ratio log / baseline   per round: ${ratios.map((ratio) => fixed(ratio, 2)).join(' ')}  median ${fixed(median(ratios), 2)}  (target >= 0.8)`,
      );
      // Validation runs on the same thread before the write, so the ratio cannot exceed
      // 1 / (1 + write rate / validation rate) whatever the rest of the append costs.
      const bound = 1 / (1 + median(plainRates) / median(validationRates));
      print(
        `  validation alone (CRC-32C + record walk) MB/s median ${fixed(median(validationRates), 0)}: bounds the ratio at ${fixed(bound, 2)}`,
      );
      print();
    }
  } finally {
    removeTempDirectory(directory);
  }
}

await main();
