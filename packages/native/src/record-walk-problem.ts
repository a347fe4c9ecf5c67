/**
 * Why a record walk stopped, shared by the native walk (addon/record-walk.h, whose enum must keep these
 * numbers) and the JavaScript walk in @sluice/log. Each comes with details: [record index, offending
 * value, second value].
 */
export const RecordWalkProblem = {
  NONE: 0,
  /** The batch ends before the record count the header declares: [record, record, 0]. */
  BATCH_ENDS_EARLY: 1,
  /** A record length that is not positive or overruns the batch: [record, length, bytes left]. */
  LENGTH: 2,
  /** The timestamp delta or offset delta does not parse within the record: [record, 0, 0]. */
  TIMESTAMP_OR_OFFSET_DELTA: 3,
  /** Offset deltas must be 0, 1, 2, ...: [record, offset delta, 0]. */
  OFFSET_DELTA: 4,
  /** A key length below -1: [record, key length, 0]. */
  KEY_LENGTH: 5,
  /** A record without a key where keys are required (a compacted topic): [record, 0, 0]. */
  MISSING_KEY: 6,
  /** The key overruns the record: [record, key length, 0]. */
  KEY: 7,
  /** The value length is invalid or the value overruns the record: [record, value length, 0]. */
  VALUE: 8,
  /** A negative header count, or it overruns the record: [record, header count, 0]. */
  HEADER_COUNT: 9,
  /** A header that is invalid or overruns the record: [record, header index, 0]. */
  HEADER: 10,
  /** The fields do not fill the record's length exactly: [record, field bytes, record length]. */
  FIELDS: 11,
  /** Bytes follow the last record: [record count, trailing bytes, 0]. */
  TRAILING_BYTES: 12,
} as const;

export type RecordWalkProblem = (typeof RecordWalkProblem)[keyof typeof RecordWalkProblem];
