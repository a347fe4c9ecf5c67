import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOG_CONFIG, Log, type LogConfig } from '../src/index.js';
import { batchForOffsets, decodeRecords, summarizeBatches, valueForOffset } from './record-batch-builder.js';
import {
  ManualClock,
  ManualScheduler,
  makeTempDirectory,
  removeTempDirectory,
  testLogger,
} from './temp-directory.js';

/**
 * The log against a simple in-memory model: a list of batches [base, last] with their sizes, a log start
 * offset and a high watermark. Random appends (as leader and as follower), reads, high watermark and log
 * start moves, truncations, retention and restarts (clean, recovering from a random recovery point, or
 * with a torn tail) must leave the log and the model agreeing after every step.
 */

interface ModelBatch {
  base: number;
  last: number;
  sizeBytes: number;
}

class Model {
  batches: ModelBatch[] = [];
  logStartOffset = 0;
  highWatermark = 0;
  get logEndOffset(): number {
    return this.batches.length === 0 ? this.emptyEnd : this.batches[this.batches.length - 1].last + 1;
  }
  /** The log end offset when there are no batches (after retention or truncation removed them all). */
  emptyEnd = 0;
  append(count: number, sizeBytes: number): void {
    const base = this.logEndOffset;
    this.batches.push({ base, last: base + count - 1, sizeBytes });
  }
  /** Removes batches whose last offset is ≥ offset; returns the new end. */
  /** Removes batches whose last offset is ≥ offset (a batch holding it goes whole). */
  truncateTo(offset: number): void {
    if (offset >= this.logEndOffset) return;
    const removed = this.batches.filter((batch) => batch.last >= offset);
    this.batches = this.batches.filter((batch) => batch.last < offset);
    if (this.batches.length === 0 && removed.length > 0) this.emptyEnd = removed[0].base;
    const newEnd = this.logEndOffset;
    if (this.highWatermark > newEnd) this.highWatermark = newEnd;
    if (this.logStartOffset > newEnd) this.logStartOffset = newEnd;
  }
  /** Empties the model and restarts it at `offset`. */
  restartAt(offset: number): void {
    this.batches = [];
    this.emptyEnd = offset;
    this.logStartOffset = offset;
    this.highWatermark = offset;
  }
  /** Drops batches wholly below the log start offset. */
  dropBelowStart(): void {
    const end = this.logEndOffset;
    this.batches = this.batches.filter((batch) => batch.last >= this.logStartOffset);
    if (this.batches.length === 0) this.emptyEnd = end;
  }
  isBatchBoundary(offset: number): boolean {
    return offset === this.logEndOffset || this.batches.some((batch) => batch.base === offset);
  }
}

type Command =
  | { kind: 'append'; count: number; asFollower: boolean }
  | { kind: 'appendTogether'; counts: number[] }
  | { kind: 'read'; at: number; maxBytes: number; minOneMessage: boolean; belowHighWatermark: boolean }
  | { kind: 'highWatermark'; at: number }
  | { kind: 'deleteRecords'; at: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'retention'; retentionBytes: number }
  | { kind: 'restart'; how: 'clean' | 'recover' | 'torn'; at: number };

const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      count: fc.integer({ min: 1, max: 12 }),
      asFollower: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('appendTogether' as const),
      counts: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 2, maxLength: 6 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      at: fraction,
      maxBytes: fc.integer({ min: 0, max: 3000 }),
      minOneMessage: fc.boolean(),
      belowHighWatermark: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('highWatermark' as const), at: fraction }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), at: fraction }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fraction }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('retention' as const),
      retentionBytes: fc.integer({ min: 0, max: 4000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('restart' as const),
      how: fc.constantFrom('clean' as const, 'recover' as const, 'torn' as const),
      at: fraction,
    }),
  },
);

const configArbitrary = fc.record({
  segmentBytes: fc.integer({ min: 1500, max: 4000 }),
  indexIntervalBytes: fc.integer({ min: 0, max: 600 }),
  segmentIndexBytes: fc.constantFrom(48, 96, 10_485_760),
});

let root: string;
beforeAll(() => {
  root = makeTempDirectory('sluice-model-');
});
afterAll(() => removeTempDirectory(root));

let runNumber = 0;

async function runScenario(settings: Partial<LogConfig>, commands: Command[]): Promise<void> {
  const directory = path.join(root, `model-${runNumber++}`);
  const clock = new ManualClock();
  const scheduler = new ManualScheduler(clock);
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG, ...settings, fileDeleteDelayMs: 0 };
  const open = (options: { hadCleanShutdown: boolean; recoveryPoint?: number; model: Model }) =>
    Log.open({
      directory,
      topic: 'model',
      partition: 0,
      config,
      clock,
      scheduler,
      logger: testLogger,
      hadCleanShutdown: options.hadCleanShutdown,
      recoveryPoint: options.recoveryPoint,
      logStartOffset: options.model.logStartOffset,
      highWatermark: options.model.highWatermark,
    });
  const model = new Model();
  let log = await open({ hadCleanShutdown: true, model });
  const offsetAt = (at: number, low: number, high: number) => low + Math.floor(at * (high - low + 1 - 1e-9));
  try {
    for (const step of commands) {
      switch (step.kind) {
        case 'append': {
          const first = log.logEndOffset;
          const batch = batchForOffsets(
            first,
            step.count,
            step.asFollower ? { baseOffset: first, partitionLeaderEpoch: 3 } : {},
          );
          const info = step.asFollower
            ? await log.appendAsFollower(batch)
            : await log.appendAsLeader(batch, 3);
          expect(info.firstOffset).toBe(first);
          model.append(step.count, batch.length);
          break;
        }
        case 'appendTogether': {
          // Made in one stretch: they queue and are written as a group (AppendPipeline).
          let first = log.logEndOffset;
          const batches = step.counts.map((count) => {
            const batch = batchForOffsets(first, count);
            first += count;
            return batch;
          });
          const infos = await Promise.all(batches.map((batch) => log.appendAsLeader(batch, 3)));
          for (const [index, info] of infos.entries()) {
            expect(info.firstOffset).toBe(model.logEndOffset);
            model.append(step.counts[index], batches[index].length);
          }
          break;
        }
        case 'read': {
          if (model.logEndOffset === model.logStartOffset) break;
          const offset = offsetAt(step.at, model.logStartOffset, model.logEndOffset - 1);
          const maxOffset = step.belowHighWatermark ? model.highWatermark : undefined;
          const result = log.read(offset, {
            maxBytes: step.maxBytes,
            minOneMessage: step.minOneMessage,
            maxOffset,
          });
          const bound = maxOffset ?? model.logEndOffset;
          const startIndex = model.batches.findIndex((batch) => batch.last >= offset);
          const expected: ModelBatch[] = [];
          let total = 0;
          for (let i = startIndex; i >= 0 && i < model.batches.length; i++) {
            const batch = model.batches[i];
            if (batch.base >= bound) break;
            if (total + batch.sizeBytes > step.maxBytes && !(expected.length === 0 && step.minOneMessage))
              break;
            expected.push(batch);
            total += batch.sizeBytes;
          }
          const got = summarizeBatches(result.records);
          // One segment per call: a non-empty prefix of what the model allows.
          expect(got.length).toBeLessThanOrEqual(expected.length);
          if (expected.length > 0) expect(got.length).toBeGreaterThan(0);
          got.forEach((batch, i) => {
            expect([batch.baseOffset, batch.lastOffset, batch.crcValid]).toEqual([
              expected[i].base,
              expected[i].last,
              true,
            ]);
          });
          let at = 0;
          for (const batch of got) {
            for (const record of decodeRecords(result.records, at)) {
              expect(record.value?.equals(valueForOffset(record.offset))).toBe(true);
            }
            at += batch.sizeBytes;
          }
          if (got.length > 0) expect(result.firstBatchBaseOffset).toBe(got[0].baseOffset);
          break;
        }
        case 'highWatermark': {
          const target = offsetAt(step.at, 0, model.logEndOffset);
          const moved = log.maybeIncrementHighWatermark(target);
          const clamped = Math.min(Math.max(target, model.logStartOffset), model.logEndOffset);
          expect(moved).toBe(clamped > model.highWatermark);
          model.highWatermark = Math.max(model.highWatermark, clamped);
          break;
        }
        case 'deleteRecords': {
          const target = offsetAt(step.at, model.logStartOffset, model.highWatermark);
          await log.maybeIncrementLogStartOffset(target, 'DeleteRecords');
          model.logStartOffset = Math.max(model.logStartOffset, target);
          break;
        }
        case 'truncate': {
          const target = offsetAt(step.at, 0, model.logEndOffset);
          if (target < (model.batches[0]?.base ?? model.logEndOffset)) {
            await log.truncateFullyAndStartAt(target);
            model.restartAt(target);
          } else {
            await log.truncateTo(target);
            model.truncateTo(target);
          }
          break;
        }
        case 'retention': {
          log.updateConfig({ ...config, retentionBytes: step.retentionBytes });
          const startBefore = model.logStartOffset;
          await log.deleteOldSegments();
          log.updateConfig(config);
          const start = log.logStartOffset;
          expect(start).toBeGreaterThanOrEqual(startBefore);
          expect(start).toBeLessThanOrEqual(model.highWatermark);
          if (start > startBefore) expect(model.isBatchBoundary(start)).toBe(true);
          model.logStartOffset = start;
          model.dropBelowStart();
          break;
        }
        case 'restart': {
          await log.close();
          if (step.how === 'clean') {
            log = await open({ hadCleanShutdown: true, model });
            break;
          }
          let recoveryPoint = offsetAt(step.at, 0, model.logEndOffset);
          if (step.how === 'torn') {
            const active = fs
              .readdirSync(directory)
              .filter((name) => name.endsWith('.log'))
              .sort()
              .at(-1) as string;
            const activePath = path.join(directory, active);
            const size = fs.statSync(activePath).size;
            if (size === 0) {
              log = await open({ hadCleanShutdown: false, recoveryPoint, model });
              break;
            }
            fs.truncateSync(activePath, size - 1 - Math.floor(step.at * Math.min(size - 1, 200)));
            recoveryPoint = Number(active.slice(0, 20));
          }
          log = await open({ hadCleanShutdown: false, recoveryPoint, model });
          if (step.how === 'torn') {
            // The torn batch (and only what follows it) is gone: the new end is a batch boundary, or the
            // log start when the cut fell below it (the log then restarts empty there, as Kafka's does).
            const newEnd = log.logEndOffset;
            expect(newEnd).toBeLessThan(model.logEndOffset);
            if (newEnd === model.logStartOffset && !model.isBatchBoundary(newEnd)) {
              model.restartAt(newEnd);
            } else {
              expect(model.isBatchBoundary(newEnd)).toBe(true);
              model.truncateTo(newEnd);
            }
          }
          break;
        }
      }
      expect([log.logStartOffset, log.highWatermark, log.logEndOffset]).toEqual([
        model.logStartOffset,
        model.highWatermark,
        model.logEndOffset,
      ]);
      expect(log.recoveryPoint).toBeLessThanOrEqual(log.logEndOffset);
    }
    // Finally every batch of the model is in the log, in order, intact.
    const all: number[] = [];
    let offset = model.logStartOffset;
    while (offset < model.logEndOffset) {
      const { records } = log.read(offset, { maxBytes: 1 << 20, minOneMessage: true });
      const batches = summarizeBatches(records);
      expect(batches.length).toBeGreaterThan(0);
      for (const batch of batches) all.push(batch.baseOffset);
      offset = batches[batches.length - 1].lastOffset + 1;
    }
    const readable = model.batches.filter((batch) => batch.last >= model.logStartOffset);
    expect(all).toEqual(readable.map((batch) => batch.base));
  } finally {
    await log.close();
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

describe('the log against an in-memory model', () => {
  it('agrees after random appends, reads, truncations, retention and restarts', async () => {
    await fc.assert(
      fc.asyncProperty(configArbitrary, fc.array(command, { minLength: 5, maxLength: 60 }), runScenario),
      {
        numRuns: Number(process.env.SLUICE_MODEL_RUNS ?? 200),
        seed: Number(process.env.SLUICE_MODEL_SEED ?? 424242),
      },
    );
  }, 120_000);
});
