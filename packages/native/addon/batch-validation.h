/*
 * One pass over a record batch v2 for the two checks that read all of its bytes: the CRC-32C of
 * [attributes, end) and the record walk (record-walk.h).
 *
 * - The two alternate by strides that fit the L1/L2 caches: the CRC-32C of a stride, then the walk over the
 *   records that start in it, so that memory is read once. (Interleaving them finer, a few CRC-32C words
 *   per record, was measured no faster: the walk keeps the core's issue width busy, so every CRC
 *   instruction added to its loop costs about what it costs alone.)
 * - A batch of at least BATCH_VALIDATION_SPLIT_BYTES is split in two parts, when the helper thread is free
 *   (helper-thread.h): the caller checks the first, the helper the second (its CRC-32C from zero, its walk
 *   from a guessed record start, record_walk_guess), and the caller joins them. The helper's walk counts
 *   only when the caller's walk arrives at the guessed record with the guessed index; otherwise the caller
 *   walks on itself. The CRC-32C join is exact whatever the split (crc32c_register_shift). If the helper
 *   has not started when the caller is done with its part, the caller takes the second part back; after
 *   that, or a long wait for the helper, the next large batches are not split for a while.
 * Whatever the path, the results are those of crc32c_update and record_walk.
 */
#ifndef SLUICE_BATCH_VALIDATION_H
#define SLUICE_BATCH_VALIDATION_H

#include <stdbool.h>
#include <stdint.h>

#include "record-walk.h"

/* Bytes before a batch's attributes, where its CRC-32C starts. */
#define BATCH_CRC_START 21
/* Bytes before a batch's first record. */
#define BATCH_RECORDS_START 61

/* Batches from this size on are split between the caller and the helper thread (when it is free). */
#define BATCH_VALIDATION_SPLIT_BYTES (256 * 1024)

/* When to split a batch with the helper thread. */
enum batch_split {
  BATCH_SPLIT_NEVER = 0,
  /* Batches of at least BATCH_VALIDATION_SPLIT_BYTES, when the helper is free. */
  BATCH_SPLIT_WHEN_FREE = 1,
  /* Every batch, in halves, the caller waiting for the helper to start: to test that path. */
  BATCH_SPLIT_ALWAYS = 2,
};

/*
 * Validates the batch at `batch_start`, `size_bytes` long (at least BATCH_RECORDS_START when
 * `walk_records`, else at least BATCH_CRC_START; inside the `length` bytes, and `length` below 2^31 - 1
 * when `walk_records`): stores the CRC-32C of [attributes, end) in `crc` and, when `walk_records`, walks its `record_count`
 * records as record_walk does, returning its problem and details; otherwise returns RECORD_WALK_NONE.
 */
int batch_validate(const uint8_t *bytes, int64_t length, int64_t batch_start, int64_t size_bytes,
                   int64_t record_count, bool require_keys, bool walk_records, enum batch_split split,
                   uint32_t *crc, struct record_walk_details *details);

/* Counters since the process started, for benchmarks. */
struct batch_validation_statistics {
  int64_t splits;         /* batches split with the helper thread (helper-thread.h counts the rest) */
  int64_t guesses_taken;  /* splits whose walk the helper did, from a record start it guessed right */
  int64_t guesses_missed; /* splits that walked the second part on the caller: no guess, or a wrong one */
  int64_t backoffs;       /* splits that went badly, after which the next batches were not split */
};

void batch_validation_statistics(struct batch_validation_statistics *statistics);

#endif
