import {
  BATCH_CRC_DETAIL,
  type NativeValidateBatch,
  nativeValidateBatch,
  RecordWalkProblem,
} from '@sluice/native';
import {
  CorruptMessageError,
  InvalidRecordError,
  InvalidTimestampError,
  MessageTooLargeError,
} from '@sluice/protocol';
import {
  BatchLayout,
  batchAttributes,
  batchBaseSequence,
  batchBaseTimestamp,
  batchComputedCrc,
  batchLastOffsetDelta,
  batchMagic,
  batchMaxTimestamp,
  batchProducerId,
  batchRecordCount,
  batchStoredCrc,
  COMPRESSION_MASK,
  CURRENT_MAGIC,
  isCompressed,
  isControl,
  isLogAppendTime,
  MIN_BATCH_LENGTH,
  NO_TIMESTAMP,
  RECORD_BATCH_HEADER_BYTES,
} from './batch-format.js';
import { Limits } from './limits.js';
import type { LogConfig } from './log-config.js';
import { MAX_WALK_BUFFER_BYTES, recordWalkError, validateRecords } from './record-walker.js';

/** Highest compression codec id Kafka defines (zstd). */
const MAX_COMPRESSION_CODEC = 4;

/**
 * How a leader batch's CRC-32C and record walk run: 'fused' when @sluice/native loaded, both in one
 * native pass over the batch (`nativeValidateBatch`; a large batch on two cores), else 'separate', the
 * CRC-32C (`batchComputedCrc`) then the walk (`validateRecords`). The errors are the same either way:
 * the CRC-32C is compared first, the walk's problem is reported after the header checks, with the same
 * details.
 */
export const batchValidationImplementation: 'fused' | 'separate' =
  nativeValidateBatch === null ? 'separate' : 'fused';

/** The walk of the last fused validation: NOT_WALKED, or its RecordWalkProblem (details below). */
const NOT_WALKED = -1;
let fusedWalkProblem: number = NOT_WALKED;
/** [record index, value, second value] of the fused walk's problem, then the batch's CRC-32C. */
const fusedDetails = new Float64Array(BATCH_CRC_DETAIL + 1);

/**
 * The CRC-32C of the batch at `records[at]`; for a leader's uncompressed batch (`fused` not null) the
 * fused validation also walks its records, leaving the outcome in `fusedWalkProblem`.
 */
function batchCrc(
  records: Buffer,
  at: number,
  sizeBytes: number,
  fused: NativeValidateBatch | null,
  requireKeys: boolean,
): number {
  fusedWalkProblem = NOT_WALKED;
  if (fused !== null && records.length < MAX_WALK_BUFFER_BYTES) {
    fusedWalkProblem = fused(
      records,
      at,
      sizeBytes,
      batchRecordCount(records, at),
      requireKeys,
      fusedDetails,
    );
    return fusedDetails[BATCH_CRC_DETAIL];
  }
  return batchComputedCrc(records, at, sizeBytes);
}

/**
 * Checks the frame of the batch at `records[at]`: a whole v2 batch inside the buffer, within the batch
 * size limit, with a matching CRC-32C. Returns its size. Shared by leader and follower appends; for a
 * leader, the record walk of an uncompressed batch runs along with the CRC-32C when `fused` is given.
 */
function validateFrame(
  records: Buffer,
  at: number,
  batchIndex: number,
  maxBatchBytes: number,
  fused: NativeValidateBatch | null,
  requireKeys: boolean,
): number {
  const remaining = records.length - at;
  if (remaining > BatchLayout.MAGIC && batchMagic(records, at) !== CURRENT_MAGIC) {
    throw new InvalidRecordError(
      `batch ${batchIndex} at byte ${at}: magic is ${batchMagic(records, at)}, only record batches v2 are accepted`,
    );
  }
  if (remaining < RECORD_BATCH_HEADER_BYTES) {
    throw new CorruptMessageError(
      `batch ${batchIndex} at byte ${at}: only ${remaining} bytes left, a batch header needs ${RECORD_BATCH_HEADER_BYTES}`,
    );
  }
  const batchLength = records.readInt32BE(at + BatchLayout.BATCH_LENGTH);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new CorruptMessageError(
      `batch ${batchIndex} at byte ${at}: batchLength is ${batchLength}, at least ${MIN_BATCH_LENGTH} expected`,
    );
  }
  const sizeBytes = batchLength + 12;
  if (sizeBytes > remaining) {
    throw new CorruptMessageError(
      `batch ${batchIndex} at byte ${at}: declares ${sizeBytes} bytes but only ${remaining} remain in the request`,
    );
  }
  if (sizeBytes > maxBatchBytes) {
    throw new MessageTooLargeError(
      `batch ${batchIndex} at byte ${at} is ${sizeBytes} bytes, more than the ${maxBatchBytes} allowed`,
    );
  }
  const stored = batchStoredCrc(records, at);
  const computed = batchCrc(
    records,
    at,
    sizeBytes,
    isCompressed(batchAttributes(records, at)) ? null : fused,
    requireKeys,
  );
  if (stored !== computed) {
    throw new CorruptMessageError(
      `batch ${batchIndex} at byte ${at}: CRC-32C mismatch, header has ${stored}, bytes give ${computed}`,
    );
  }
  const compression = batchAttributes(records, at) & COMPRESSION_MASK;
  if (compression > MAX_COMPRESSION_CODEC) {
    throw new CorruptMessageError(
      `batch ${batchIndex} at byte ${at}: unknown compression codec ${compression}`,
    );
  }
  return sizeBytes;
}

/**
 * Everything Kafka's leader checks on a produced batch, without decoding a key or value:
 * - the frame: magic 2 (INVALID_RECORD otherwise), whole, CRC-32C (CORRUPT_MESSAGE);
 * - size ≤ max.message.bytes (MESSAGE_TOO_LARGE);
 * - no control batch, recordCount > 0 and = lastOffsetDelta + 1, a sequence for an idempotent producer
 *   (INVALID_RECORD);
 * - CreateTime: baseTimestamp and maxTimestamp within message.timestamp.before/after.max.ms of now, and
 *   no producer-set LogAppendTime (INVALID_TIMESTAMP);
 * - uncompressed batches: every record's varint lengths fit, offset deltas are 0, 1, 2, ..., and a
 *   compacted topic's records have keys.
 * A compressed batch is checked at the header level only: its records are not decompressed on the
 * append path (the batch stays the producer's bytes).
 * `fused` is the one-pass native CRC-32C and walk (@sluice/native's, when it loaded), or null for the
 * separate checks; the outcome is the same. Returns the batch's size in bytes; throws the Kafka error
 * otherwise.
 */
export function validateLeaderBatch(
  records: Buffer,
  at: number,
  batchIndex: number,
  config: LogConfig,
  nowMs: number,
  requireKeys: boolean,
  fused: NativeValidateBatch | null = nativeValidateBatch,
): number {
  const sizeBytes = validateFrame(
    records,
    at,
    batchIndex,
    Math.min(config.maxMessageBytes, Limits.MAX_BATCH_BYTES),
    fused,
    requireKeys,
  );
  const attributes = batchAttributes(records, at);
  if (isControl(attributes)) {
    throw new InvalidRecordError(`batch ${batchIndex}: clients may not write control batches`);
  }
  const recordCount = batchRecordCount(records, at);
  const lastOffsetDelta = batchLastOffsetDelta(records, at);
  if (recordCount <= 0) {
    throw new InvalidRecordError(
      `batch ${batchIndex}: recordCount is ${recordCount}, a batch needs at least one record`,
    );
  }
  if (lastOffsetDelta + 1 !== recordCount) {
    throw new InvalidRecordError(
      `batch ${batchIndex}: lastOffsetDelta ${lastOffsetDelta} does not match recordCount ${recordCount}`,
    );
  }
  const producerId = batchProducerId(records, at);
  if (producerId >= 0) {
    if (producerId > Number.MAX_SAFE_INTEGER) {
      throw new InvalidRecordError(`batch ${batchIndex}: producerId ${producerId} is beyond 2^53`);
    }
    const baseSequence = batchBaseSequence(records, at);
    if (baseSequence < 0) {
      throw new InvalidRecordError(
        `batch ${batchIndex}: baseSequence ${baseSequence} is invalid for idempotent producer ${producerId}`,
      );
    }
  }
  if (config.messageTimestampType === 'CreateTime') {
    if (isLogAppendTime(attributes)) {
      throw new InvalidTimestampError(
        `batch ${batchIndex}: producers may not set the LogAppendTime timestamp type`,
      );
    }
    checkTimestamp(batchBaseTimestamp(records, at), 'baseTimestamp', batchIndex, config, nowMs);
    checkTimestamp(batchMaxTimestamp(records, at), 'maxTimestamp', batchIndex, config, nowMs);
  }
  if (!isCompressed(attributes)) {
    if (fusedWalkProblem === NOT_WALKED)
      validateRecords(records, at, sizeBytes, recordCount, requireKeys, batchIndex);
    else if (fusedWalkProblem !== RecordWalkProblem.NONE)
      throw recordWalkError(fusedWalkProblem, fusedDetails, batchIndex, recordCount);
  }
  return sizeBytes;
}

function checkTimestamp(
  timestampMs: number,
  field: string,
  batchIndex: number,
  config: LogConfig,
  nowMs: number,
): void {
  if (timestampMs === NO_TIMESTAMP) return;
  const earliest = nowMs - config.messageTimestampBeforeMaxMs;
  const latest = nowMs + config.messageTimestampAfterMaxMs;
  if (timestampMs < earliest || timestampMs > latest) {
    throw new InvalidTimestampError(
      `batch ${batchIndex}: ${field} ${timestampMs} is outside [${earliest}, ${latest}] ` +
        '(message.timestamp.before.max.ms / message.timestamp.after.max.ms around now)',
    );
  }
}

/**
 * What a follower checks on replicated batches: the frame (magic 2, whole, CRC-32C) and a non-negative
 * lastOffsetDelta. Offsets are checked by the log against its end. max.message.bytes does not apply to
 * replication (the leader accepted the batch); the hard batch size limit does.
 */
export function validateFollowerBatch(records: Buffer, at: number, batchIndex: number): number {
  const sizeBytes = validateFrame(records, at, batchIndex, Limits.MAX_BATCH_BYTES, null, false);
  const lastOffsetDelta = batchLastOffsetDelta(records, at);
  if (lastOffsetDelta < 0) {
    throw new CorruptMessageError(`batch ${batchIndex}: lastOffsetDelta ${lastOffsetDelta} is negative`);
  }
  return sizeBytes;
}
