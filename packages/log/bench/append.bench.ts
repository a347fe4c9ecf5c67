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
 *
 * The log is driven two ways: one append at a time (each awaited before the next), and with
 * IN_FLIGHT appends outstanding, as the broker makes them when a producer pipelines its requests
 * (max.in.flight.requests.per.connection, 5 by default) or a backlog of requests is read in one go.
 */

const ROUNDS = QUICK ? 3 : 7;
const TOTAL_BYTES = QUICK ? 16 * 2 ** 20 : 256 * 2 ** 20;
const VALUE_BYTES = 100;
/** Appends outstanding in the pipelined runs: a producer's default max.in.flight.requests.per.connection. */
const IN_FLIGHT = 5;
/** Slices per round: the appenders alternate slice by slice, so that a slow spell of the machine hits all. */
const SLICES = 16;

/** One of the appenders compared: appends batches `[from, to)` of the rotation, returns the ms taken. */
interface Appender {
  appendSlice(from: number, to: number): Promise<number>;
  close(): Promise<void>;
}

/** The baseline: `fs.writeSync` of each batch at the end of a file, nothing else. */
function plainAppender(directory: string, batches: Buffer[]): Appender {
  const filePath = path.join(directory, 'plain.log');
  const fd = fs.openSync(filePath, 'w');
  let position = 0;
  return {
    async appendSlice(from, to) {
      const started = performance.now();
      for (let i = from; i < to; i++) {
        const batch = batches[i % batches.length];
        let written = 0;
        while (written < batch.length)
          written += fs.writeSync(fd, batch, written, batch.length - written, position + written);
        position += batch.length;
      }
      return performance.now() - started;
    },
    async close() {
      fs.closeSync(fd);
      fs.rmSync(filePath);
    },
  };
}

/** Appends through a Log, `inFlight` at a time (1: each awaited before the next is made). */
async function logAppender(
  directory: string,
  batches: Buffer[],
  inFlight: number,
): Promise<Appender & { offloadedChecks(): number; groupedAppends(): number }> {
  const log = await Log.open({
    directory: path.join(directory, `bench-${inFlight}`),
    topic: 'bench',
    partition: inFlight,
    config: { ...DEFAULT_LOG_CONFIG },
    logger: testLogger,
  });
  return {
    async appendSlice(from, to) {
      const outstanding: Promise<unknown>[] = [];
      const started = performance.now();
      for (let i = from; i < to; i++) {
        outstanding.push(log.appendAsLeader(batches[i % batches.length], 1));
        if (outstanding.length >= inFlight) await outstanding.shift();
      }
      await Promise.all(outstanding);
      return performance.now() - started;
    },
    close: () => log.delete(),
    offloadedChecks: () => log.offloadedChecks,
    groupedAppends: () => log.groupedAppends,
  };
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
      const validationRates: number[] = [];
      const runs = [1, IN_FLIGHT].map((inFlight) => ({
        inFlight,
        rates: [] as number[],
        ratios: [] as number[],
        offloaded: 0,
        grouped: 0,
      }));
      const sliceAppends = Math.max(1, Math.ceil(appends / SLICES));
      for (let round = -1; round < ROUNDS; round++) {
        const warmUp = round < 0; // not counted
        const roundAppends = warmUp ? Math.min(appends, 64) : appends;
        const plain = plainAppender(directory, batches);
        const logs = [];
        for (const run of runs) logs.push(await logAppender(directory, batches, run.inFlight));
        const appenders = [plain, ...logs];
        const elapsedMs = appenders.map(() => 0);
        // The appenders take turns by slices, the order rotating, so that they share the machine's moods.
        for (let from = 0, slice = 0; from < roundAppends; from += sliceAppends, slice++) {
          const to = Math.min(roundAppends, from + sliceAppends);
          for (let turn = 0; turn < appenders.length; turn++) {
            const which = (slice + turn) % appenders.length;
            elapsedMs[which] += await appenders[which].appendSlice(from, to);
          }
        }
        const offloaded = logs.map((log) => log.offloadedChecks());
        const grouped = logs.map((log) => log.groupedAppends());
        for (const appender of appenders) await appender.close();
        if (warmUp) continue;
        const plainRate = megabytesPerSecond(bytes, elapsedMs[0]);
        plainRates.push(plainRate);
        for (const [index, run] of runs.entries()) {
          const rate = megabytesPerSecond(bytes, elapsedMs[index + 1]);
          run.rates.push(rate);
          run.ratios.push(rate / plainRate);
          run.offloaded += offloaded[index];
          run.grouped += grouped[index];
        }
        validationRates.push(megabytesPerSecond(bytes, validationOnly(batches, appends)));
      }
      print(
        `batches of ${batchSize} bytes (${Math.round(batchSize / (VALUE_BYTES + 8))} records of ${VALUE_BYTES}-byte values), ${appends} appends = ${fixed(bytes / 2 ** 20, 0)} MiB per round and appender, in ${SLICES} slices taken in turn, ${ROUNDS} rounds`,
      );
      print(
        `  fs.writeSync baseline  MB/s per round: ${plainRates.map((rate) => fixed(rate, 0)).join(' ')}  median ${fixed(median(plainRates), 0)}`,
      );
      for (const run of runs) {
        const label = run.inFlight === 1 ? 'one at a time' : `${run.inFlight} in flight`;
        print(
          `  Log.appendAsLeader, ${label.padEnd(13)} MB/s per round: ${run.rates.map((rate) => fixed(rate, 0)).join(' ')}  median ${fixed(median(run.rates), 0)}`,
        );
        print(
          `    ratio log / baseline per round: ${run.ratios.map((ratio) => fixed(ratio, 2)).join(' ')}  median ${fixed(median(run.ratios), 2)}  (target >= 0.8); checked on the helper thread: ${fixed((100 * run.offloaded) / (ROUNDS * appends), 0)}%, written in groups: ${fixed((100 * run.grouped) / (ROUNDS * appends), 0)}% of appends`,
        );
      }
      // One at a time, validation runs on the event loop before the write, so that ratio cannot exceed
      // 1 / (1 + write rate / validation rate) whatever the rest of the append costs.
      const bound = 1 / (1 + median(plainRates) / median(validationRates));
      print(
        `  validation alone (CRC-32C + record walk) MB/s median ${fixed(median(validationRates), 0)}: bounds the one-at-a-time ratio at ${fixed(bound, 2)}`,
      );
      print();
    }
  } finally {
    removeTempDirectory(directory);
  }
}

await main();
