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
 * A walk in progress, so that it can run in steps (between the CRC-32C of the pieces of the batch it
 * walks): record_walk_begin, then record_walk_advance any number of times, then record_walk_finish.
 * `at` and `index` are where the next record starts and its index; the other fields are fixed.
 */
struct record_walk {
  const uint8_t *bytes;
  int64_t length;
  int64_t batch_end;
  int64_t fast_limit;
  int64_t record_count;
  bool require_keys;
  int64_t at;
  int64_t index;
};

/* Starts the walk of `record_count` records of the batch at `batch_start` (`size_bytes` long) in `bytes`
   (`length` long). Bytes past the batch but inside `length` may be read, as the JavaScript walk does;
   nothing past `length` is. `length` must be below 2^31 - 1. */
void record_walk_begin(struct record_walk *walk, const uint8_t *bytes, int64_t length, int64_t batch_start,
                       int64_t size_bytes, int64_t record_count, bool require_keys);

/* Walks on over the records that start before `stop`. Returns a record_walk_problem and, unless NONE,
   fills `details`; after a problem the walk must not go on. */
int record_walk_advance(struct record_walk *walk, int64_t stop, struct record_walk_details *details);

/*
 * A guess of where a record starts, to walk the second part of a batch on another thread while this one
 * walks the first: the first position in [from, from + scan_bytes) where a well-formed record starts
 * whose offset delta is below the record count and after which the next records follow on, numbered on.
 * Stores its position and index and returns true, or returns false. Only a guess: the walk reaching the
 * same position with the same index (record_walk_advance with `stop` = the position) is what makes the
 * second walk's outcome the whole walk's.
 */
bool record_walk_guess(const struct record_walk *walk, int64_t from, int64_t scan_bytes, int64_t *at,
                       int64_t *index);

/* Moves a walk just begun to the record at `at` with index `index` (a guess): it goes on from there. */
void record_walk_begin_at(struct record_walk *walk, int64_t at, int64_t index);

/* Walks the remaining records and checks that they end exactly at the batch's end. */
int record_walk_finish(struct record_walk *walk, struct record_walk_details *details);

/* The whole walk in one call: begin, then finish. Returns a record_walk_problem and, unless NONE, fills
   `details`. Whatever the steps, the outcome is the same. */
int record_walk(const uint8_t *bytes, int64_t length, int64_t batch_start, int64_t size_bytes,
                int64_t record_count, bool require_keys, struct record_walk_details *details);

#endif
