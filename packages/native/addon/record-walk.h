/*
 * The walk over the records of an uncompressed record batch v2: the same checks, in the same order,
 * with the same problem codes and details, as walkRecordsPortable in @sluice/log's record-walker.ts.
 */
#ifndef SLUICE_RECORD_WALK_H
#define SLUICE_RECORD_WALK_H

#include <stdbool.h>
#include <stdint.h>

/* Why a walk stopped. The numbers are RecordWalkProblem in src/record-walk-problem.ts. */
enum record_walk_problem {
  RECORD_WALK_NONE = 0,
  RECORD_WALK_BATCH_ENDS_EARLY = 1,
  RECORD_WALK_LENGTH = 2,
  RECORD_WALK_TIMESTAMP_OR_OFFSET_DELTA = 3,
  RECORD_WALK_OFFSET_DELTA = 4,
  RECORD_WALK_KEY_LENGTH = 5,
  RECORD_WALK_MISSING_KEY = 6,
  RECORD_WALK_KEY = 7,
  RECORD_WALK_VALUE = 8,
  RECORD_WALK_HEADER_COUNT = 9,
  RECORD_WALK_HEADER = 10,
  RECORD_WALK_FIELDS = 11,
  RECORD_WALK_TRAILING_BYTES = 12,
};

/* Record index, offending value and a second value of the problem found (left alone when none). */
struct record_walk_details {
  int64_t record_index;
  int64_t value;
  int64_t second;
};

/*
 * Walks `record_count` records of the batch at `batch_start` (`size_bytes` long) in `bytes` (`length`
 * long). Bytes past the batch but inside `length` may be read, as the JavaScript walk does; nothing past
 * `length` is. `length` must be below 2^31 - 1. Returns a record_walk_problem and, unless NONE, fills
 * `details`.
 */
int record_walk(const uint8_t *bytes, int64_t length, int64_t batch_start, int64_t size_bytes,
                int64_t record_count, bool require_keys, struct record_walk_details *details);

#endif
