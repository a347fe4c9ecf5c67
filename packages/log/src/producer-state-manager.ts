import fs from 'node:fs';
import { InvalidProducerEpochError, OutOfOrderSequenceNumberError } from '@sluice/protocol';
import { pack, unpack } from 'msgpackr';
import type { Logger } from 'pino';
import { replaceFileSync, writeFileAtomicSync } from './atomic-file.js';
import { crc32c } from './batch-format.js';
import { unlinkIfExists } from './file-io.js';
import { invariant } from './invariant.js';
import { Limits } from './limits.js';
import { offsetFilePath, parseOffsetFileName, SNAPSHOT_FILE_SUFFIX } from './log-file-names.js';

const INT32_MAX = 2 ** 31 - 1;

/** One appended batch of an idempotent producer, remembered to answer its retries. */
export interface ProducerBatch {
  firstSequence: number;
  lastSequence: number;
  firstOffset: number;
  lastOffset: number;
  timestampMs: number;
}

/** What the state says about one producer id: its epoch and its last batches, oldest first. */
export interface ProducerStateEntry {
  producerId: number;
  epoch: number;
  batches: ProducerBatch[];
  lastTimestampMs: number;
}

/** The sequence of the last record of a batch: base + lastOffsetDelta, wrapping past 2^31 - 1 to 0. */
export function lastSequenceOf(baseSequence: number, lastOffsetDelta: number): number {
  return baseSequence > INT32_MAX - lastOffsetDelta
    ? lastOffsetDelta - (INT32_MAX - baseSequence) - 1
    : baseSequence + lastOffsetDelta;
}

/** Whether `next` directly follows `last` (sequences wrap from 2^31 - 1 to 0). */
function inSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX);
}

/** Earlier batches of the same append, per producer: they count as if already appended. */
export type PendingProducers = Map<number, { epoch: number; lastSequence: number }>;

const SNAPSHOT_VERSION = 1;
const CRC_BYTES = 4;

/**
 * Producer state for idempotence (Kafka's ProducerStateManager): per producer id, its epoch and the
 * sequence ranges and offsets of its last 5 batches, enough to answer any retry of an in-flight batch
 * (a client keeps at most 5 in flight).
 *
 * Leader appends are checked (`checkBatch`): a batch equal to a remembered one is a duplicate and gets
 * the original offsets; an older epoch is fenced (INVALID_PRODUCER_EPOCH); a new epoch must start at
 * sequence 0 and a known epoch must continue its sequence (else OUT_OF_ORDER_SEQUENCE_NUMBER); an unknown
 * producer may start anywhere (KIP-360). Replicated and recovered batches update the state unchecked.
 *
 * Snapshots: `<offset>.snapshot` holds the state as of `offset` (every batch below it applied):
 *   crc32c u32 (big-endian, over the rest) + msgpackr of
 *   { version: 1, offset, producers: [[producerId, epoch, lastTimestampMs, [firstSequence, lastSequence,
 *     firstOffset, lastOffset, timestampMs, ...]], ...] }
 * written atomically at segment roll and close. Recovery loads the latest valid snapshot at or below a
 * bound and replays the batches after it.
 *
 * Concurrency: owned by one Log, used from its single thread.
 */
export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerStateEntry>();

  constructor(
    private readonly directory: string,
    private readonly logger: Logger,
  ) {}

  get producerCount(): number {
    return this.producers.size;
  }

  entry(producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  /**
   * Checks a leader batch. Returns the remembered batch when this one is a retry of it (same epoch, same
   * sequence range), or null when it may be appended; throws InvalidProducerEpochError or
   * OutOfOrderSequenceNumberError. Records the batch in `pending` for later batches of the same append.
   */
  checkBatch(
    producerId: number,
    epoch: number,
    firstSequence: number,
    lastSequence: number,
    pending: PendingProducers,
  ): ProducerBatch | null {
    const entry = this.producers.get(producerId);
    const earlier = pending.get(producerId);
    if (earlier === undefined && entry !== undefined && entry.epoch === epoch) {
      for (const batch of entry.batches) {
        if (batch.firstSequence === firstSequence && batch.lastSequence === lastSequence) return batch;
      }
    }
    const currentEpoch = earlier?.epoch ?? entry?.epoch;
    const currentLastSequence =
      earlier?.lastSequence ??
      (entry === undefined || entry.batches.length === 0
        ? -1
        : entry.batches[entry.batches.length - 1].lastSequence);
    if (currentEpoch !== undefined) {
      if (epoch < currentEpoch) {
        throw new InvalidProducerEpochError(
          `producer ${producerId}: epoch ${epoch} is older than its current epoch ${currentEpoch}`,
        );
      }
      if (epoch > currentEpoch) {
        if (firstSequence !== 0) {
          throw new OutOfOrderSequenceNumberError(
            `producer ${producerId}: new epoch ${epoch} must start at sequence 0, got ${firstSequence}`,
          );
        }
      } else if (currentLastSequence >= 0 && !inSequence(currentLastSequence, firstSequence)) {
        throw new OutOfOrderSequenceNumberError(
          `producer ${producerId} epoch ${epoch}: expected sequence ${currentLastSequence === INT32_MAX ? 0 : currentLastSequence + 1}, got ${firstSequence}`,
        );
      }
    }
    pending.set(producerId, { epoch, lastSequence });
    return null;
  }

  /**
   * Applies an appended batch (leader, follower or recovery). A different epoch, even an older one from
   * a replicated log, replaces the entry's epoch and forgets its batches, as in Kafka.
   */
  update(
    producerId: number,
    epoch: number,
    firstSequence: number,
    lastSequence: number,
    firstOffset: number,
    lastOffset: number,
    timestampMs: number,
  ): void {
    const entry = this.entryFor(producerId, epoch);
    if (entry.epoch !== epoch) {
      if (epoch < entry.epoch) {
        this.logger.warn(
          { producerId, epoch, currentEpoch: entry.epoch },
          'replicated batch has an older producer epoch',
        );
      }
      entry.epoch = epoch;
      entry.batches = [];
    }
    entry.batches.push({ firstSequence, lastSequence, firstOffset, lastOffset, timestampMs });
    if (entry.batches.length > Limits.PRODUCER_BATCHES_RETAINED) entry.batches.shift();
    entry.lastTimestampMs = timestampMs;
  }

  /** A control batch (transaction marker) only moves the producer's epoch. */
  updateEpoch(producerId: number, epoch: number, timestampMs: number): void {
    const entry = this.entryFor(producerId, epoch);
    if (epoch > entry.epoch) {
      entry.epoch = epoch;
      entry.batches = [];
    }
    entry.lastTimestampMs = timestampMs;
  }

  private entryFor(producerId: number, epoch: number): ProducerStateEntry {
    let entry = this.producers.get(producerId);
    if (entry === undefined) {
      if (this.producers.size >= Limits.MAX_PRODUCERS_PER_LOG) this.evictLeastRecentlyActive();
      entry = { producerId, epoch, batches: [], lastTimestampMs: -1 };
      this.producers.set(producerId, entry);
    }
    return entry;
  }

  private evictLeastRecentlyActive(): void {
    let oldest: ProducerStateEntry | undefined;
    for (const entry of this.producers.values()) {
      if (oldest === undefined || entry.lastTimestampMs < oldest.lastTimestampMs) oldest = entry;
    }
    if (oldest !== undefined) {
      this.producers.delete(oldest.producerId);
      this.logger.warn(
        { producerId: oldest.producerId },
        'too many producers: forgot the least recently active',
      );
    }
  }

  clear(): void {
    this.producers.clear();
  }

  /**
   * Writes `<offset>.snapshot`: the state as of `offset`. Atomic (temp file + rename); fsynced only when
   * `durable` (at close). A snapshot lost or torn by a crash fails its CRC or is missing, and recovery
   * then uses an older one and replays more of the log; one at or below the recovery point that passes
   * its CRC is exactly what was written.
   */
  takeSnapshot(offset: number, durable = false): void {
    const producers: unknown[] = [];
    for (const entry of this.producers.values()) {
      const batches: number[] = [];
      for (const batch of entry.batches) {
        batches.push(
          batch.firstSequence,
          batch.lastSequence,
          batch.firstOffset,
          batch.lastOffset,
          batch.timestampMs,
        );
      }
      producers.push([entry.producerId, entry.epoch, entry.lastTimestampMs, batches]);
    }
    const payload = pack({ version: SNAPSHOT_VERSION, offset, producers });
    const contents = Buffer.allocUnsafe(CRC_BYTES + payload.length);
    contents.writeUInt32BE(crc32c(payload), 0);
    payload.copy(contents, CRC_BYTES);
    const filePath = offsetFilePath(this.directory, offset, SNAPSHOT_FILE_SUFFIX);
    if (durable) writeFileAtomicSync(filePath, contents);
    else replaceFileSync(filePath, contents);
  }

  /** Offsets of the snapshot files in the directory, ascending. */
  snapshotOffsets(): number[] {
    const offsets: number[] = [];
    for (const name of fs.readdirSync(this.directory)) {
      const parsed = parseOffsetFileName(name);
      if (parsed !== null && parsed.suffix === SNAPSHOT_FILE_SUFFIX) offsets.push(parsed.offset);
    }
    return offsets.sort((a, b) => a - b);
  }

  /**
   * Replaces the state with the latest valid snapshot at or below `maxOffset`, deleting snapshots above
   * it and any that fail to load. Returns the snapshot's offset, or null (state left empty).
   */
  loadLatestSnapshot(maxOffset: number): number | null {
    this.producers.clear();
    const offsets = this.snapshotOffsets();
    for (let i = offsets.length - 1; i >= 0; i--) {
      const offset = offsets[i];
      const filePath = offsetFilePath(this.directory, offset, SNAPSHOT_FILE_SUFFIX);
      if (offset > maxOffset) {
        unlinkIfExists(filePath);
        continue;
      }
      try {
        this.readSnapshot(filePath, offset);
        return offset;
      } catch (error) {
        this.logger.warn(
          { snapshot: filePath, err: error },
          'deleting a producer state snapshot that fails to load',
        );
        this.producers.clear();
        unlinkIfExists(filePath);
      }
    }
    return null;
  }

  private readSnapshot(filePath: string, expectedOffset: number): void {
    const stat = fs.statSync(filePath);
    invariant(stat.size <= Limits.MAX_SNAPSHOT_FILE_BYTES, `${filePath} exceeds the snapshot size limit`);
    const contents = fs.readFileSync(filePath);
    if (contents.length < CRC_BYTES) throw new Error(`${filePath} is too short`);
    const payload = contents.subarray(CRC_BYTES);
    const stored = contents.readUInt32BE(0);
    const computed = crc32c(payload);
    if (stored !== computed) throw new Error(`${filePath}: CRC-32C is ${stored}, contents give ${computed}`);
    const snapshot = unpack(payload) as { version: number; offset: number; producers: unknown[] };
    if (snapshot.version !== SNAPSHOT_VERSION)
      throw new Error(`${filePath}: unknown version ${snapshot.version}`);
    if (snapshot.offset !== expectedOffset) {
      throw new Error(`${filePath}: holds offset ${snapshot.offset}, its name says ${expectedOffset}`);
    }
    for (const item of snapshot.producers) {
      const [producerId, epoch, lastTimestampMs, flat] = item as [number, number, number, number[]];
      const batches: ProducerBatch[] = [];
      for (let i = 0; i + 4 < flat.length; i += 5) {
        batches.push({
          firstSequence: flat[i],
          lastSequence: flat[i + 1],
          firstOffset: flat[i + 2],
          lastOffset: flat[i + 3],
          timestampMs: flat[i + 4],
        });
      }
      this.producers.set(producerId, { producerId, epoch, batches, lastTimestampMs });
    }
  }

  /** Deletes snapshots strictly below `offset` (their segments are gone), keeping at least the newest. */
  deleteSnapshotsBelow(offset: number): void {
    const offsets = this.snapshotOffsets();
    for (const snapshotOffset of offsets.slice(0, -1)) {
      if (snapshotOffset < offset)
        unlinkIfExists(offsetFilePath(this.directory, snapshotOffset, SNAPSHOT_FILE_SUFFIX));
    }
  }

  /** Deletes every snapshot and forgets every producer. */
  truncateFully(): void {
    this.producers.clear();
    for (const offset of this.snapshotOffsets()) {
      unlinkIfExists(offsetFilePath(this.directory, offset, SNAPSHOT_FILE_SUFFIX));
    }
  }

  /** Every entry, for tests and diagnostics. */
  allEntries(): ProducerStateEntry[] {
    return [...this.producers.values()].map((entry) => ({
      ...entry,
      batches: entry.batches.map((b) => ({ ...b })),
    }));
  }
}
