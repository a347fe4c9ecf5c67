/*
 * The fused CRC-32C and record walk of a batch, on one thread or split over two (see
 * batch-validation.h).
 *
 * After a walk problem the CRC-32C still covers the whole batch: the CRC is checked first, so its mismatch
 * is the error reported even when the records are malformed too.
 */
#include "batch-validation.h"

#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "crc32c.h"
#include "helper-thread.h"

/* Bytes of CRC-32C between walk steps: the walk reads them while they are in the L1 or L2 cache. */
#define STRIDE_BYTES (16 * 1024)
/*
 * The helper starts about ten microseconds after a post (a wake-up on the machine this was measured on);
 * the caller validates about this many bytes in that time, so it takes half of them more than half.
 */
#define HELPER_START_BYTES (96 * 1024)
/*
 * When a split went badly (the helper had not started by the time the caller finished its part, or the
 * caller waited longer than SPLIT_WAIT_MAX_NS for it: its core is busy with other work), the next
 * SPLIT_BACKOFF_BATCHES batches that could be split are not: on such a machine the helper costs more than
 * it saves. Then one split tries again.
 */
#define SPLIT_WAIT_MAX_NS INT64_C(20000)
#define SPLIT_BACKOFF_BATCHES 32
/* How far past the split the helper looks for a record start. */
#define GUESS_SCAN_BYTES 4096
/* How long the caller waits for a guess from a helper that has started (it takes a microsecond or so). */
#define GUESS_WAIT_NS INT64_C(50000)

enum { GUESS_PENDING = -2, GUESS_NONE = -1 };

/* Batches still to validate on one thread after a split that went badly (see SPLIT_BACKOFF_BATCHES). */
static _Atomic int32_t split_backoff;

static _Atomic int64_t statistics_splits;
static _Atomic int64_t statistics_backoffs;
static _Atomic int64_t statistics_guesses_taken;
static _Atomic int64_t statistics_guesses_missed;

static void count(_Atomic int64_t *counter) { atomic_fetch_add_explicit(counter, 1, memory_order_relaxed); }

void batch_validation_statistics(struct batch_validation_statistics *statistics) {
  statistics->splits = atomic_load_explicit(&statistics_splits, memory_order_relaxed);
  statistics->guesses_taken = atomic_load_explicit(&statistics_guesses_taken, memory_order_relaxed);
  statistics->guesses_missed = atomic_load_explicit(&statistics_guesses_missed, memory_order_relaxed);
  statistics->backoffs = atomic_load_explicit(&statistics_backoffs, memory_order_relaxed);
}

/* Whether a batch that could be split may be, in BATCH_SPLIT_WHEN_FREE: not while backing off. */
static bool split_allowed(void) {
  int32_t backoff = atomic_load_explicit(&split_backoff, memory_order_relaxed);
  while (backoff > 0) {
    if (atomic_compare_exchange_weak_explicit(&split_backoff, &backoff, backoff - 1, memory_order_relaxed,
                                              memory_order_relaxed))
      return false;
  }
  return true;
}

static void back_off(void) {
  atomic_store_explicit(&split_backoff, SPLIT_BACKOFF_BATCHES, memory_order_relaxed);
  count(&statistics_backoffs);
}

/*
 * Continues `reg` over bytes [from, to) and, when `walk` is not NULL, the walk over the records that start
 * before `to`, a stride at a time: the CRC-32C of a stride, then the walk over the records that start in it.
 * Returns the walk's problem.
 */
static int fused_range(const uint8_t *bytes, int64_t from, int64_t to, uint32_t *reg, struct record_walk *walk,
                       struct record_walk_details *details) {
  int problem = RECORD_WALK_NONE;
  for (int64_t stride = from; stride < to; stride += STRIDE_BYTES) {
    const int64_t stride_end = to - stride < STRIDE_BYTES ? to : stride + STRIDE_BYTES;
    *reg = crc32c_register_update(*reg, bytes + stride, (size_t)(stride_end - stride));
    if (walk != NULL && problem == RECORD_WALK_NONE) problem = record_walk_advance(walk, stride_end, details);
  }
  return problem;
}

/* The second part of a split batch: what the helper does, and what it found. */
struct second_part {
  /* Set by the caller before posting. */
  const uint8_t *bytes;
  int64_t length;
  int64_t batch_start;
  int64_t size_bytes;
  int64_t record_count;
  bool require_keys;
  bool walk_records;
  int64_t part_start; /* the part is [part_start, batch end) */
  /* The guessed record start (GUESS_PENDING until known, then GUESS_NONE or a position), and its index,
     stored before it. */
  _Atomic int64_t guess_at;
  int64_t guess_index;
  /* The CRC-32C register of the part from 0, and the walk's outcome from the guessed record. */
  uint32_t reg;
  int problem;
  struct record_walk_details details;
};

/* The second part, on the helper. */
static void run_second_part(void *argument) {
  struct second_part *part = argument;
  const int64_t batch_end = part->batch_start + part->size_bytes;
  struct record_walk walk;
  bool guessed = false;
  if (part->walk_records) {
    record_walk_begin(&walk, part->bytes, part->length, part->batch_start, part->size_bytes,
                      part->record_count, part->require_keys);
    int64_t at;
    int64_t index;
    guessed = record_walk_guess(&walk, part->part_start, GUESS_SCAN_BYTES, &at, &index);
    if (guessed) {
      record_walk_begin_at(&walk, at, index);
      part->guess_index = index;
    }
    atomic_store_explicit(&part->guess_at, guessed ? at : GUESS_NONE, memory_order_release);
  }
  part->reg = 0;
  part->problem = fused_range(part->bytes, part->part_start, batch_end, &part->reg, guessed ? &walk : NULL,
                              &part->details);
  if (guessed && part->problem == RECORD_WALK_NONE) part->problem = record_walk_finish(&walk, &part->details);
}

static int64_t now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/*
 * The helper's guess, waiting up to `wait_ns` for it (the helper has started, or will: the caller did not
 * take the part back), yielding the core in case the helper needs it.
 */
static int64_t wait_for_guess(const struct second_part *part, int64_t wait_ns) {
  int64_t guess = atomic_load_explicit(&part->guess_at, memory_order_acquire);
  if (guess != GUESS_PENDING) return guess;
  const int64_t deadline_ns = now_ns() + wait_ns;
  while ((guess = atomic_load_explicit(&part->guess_at, memory_order_acquire)) == GUESS_PENDING) {
    if (now_ns() > deadline_ns) return GUESS_NONE;
    sched_yield();
  }
  return guess;
}

int batch_validate(const uint8_t *bytes, int64_t length, int64_t batch_start, int64_t size_bytes,
                   int64_t record_count, bool require_keys, bool walk_records, enum batch_split split,
                   uint32_t *crc, struct record_walk_details *details) {
  const int64_t crc_start = batch_start + BATCH_CRC_START;
  const int64_t batch_end = batch_start + size_bytes;
  struct record_walk walk;
  if (walk_records)
    record_walk_begin(&walk, bytes, length, batch_start, size_bytes, record_count, require_keys);
  uint32_t reg = 0xffffffffu;
  int problem = RECORD_WALK_NONE;

  struct second_part part;
  const int64_t crc_bytes = batch_end - crc_start;
  const int64_t first_part_bytes =
      split == BATCH_SPLIT_ALWAYS ? crc_bytes / 2 : (crc_bytes + HELPER_START_BYTES) / 2;
  const bool splitting = first_part_bytes < crc_bytes &&
                         (split == BATCH_SPLIT_ALWAYS ||
                          (split == BATCH_SPLIT_WHEN_FREE && size_bytes >= BATCH_VALIDATION_SPLIT_BYTES &&
                           split_allowed()));
  if (splitting) {
    part = (struct second_part){
        .bytes = bytes,
        .length = length,
        .batch_start = batch_start,
        .size_bytes = size_bytes,
        .record_count = record_count,
        .require_keys = require_keys,
        .walk_records = walk_records,
        .part_start = crc_start + first_part_bytes,
    };
    atomic_init(&part.guess_at, GUESS_PENDING);
  }
  if (!splitting || !helper_post(run_second_part, &part, 0)) {
    problem = fused_range(bytes, crc_start, batch_end, &reg, walk_records ? &walk : NULL, details);
    if (walk_records && problem == RECORD_WALK_NONE) problem = record_walk_finish(&walk, details);
    *crc = ~reg;
    return problem;
  }

  count(&statistics_splits);
  problem =
      fused_range(bytes, crc_start, part.part_start, &reg, walk_records ? &walk : NULL, details);
  bool walking = walk_records && problem == RECORD_WALK_NONE;
  if (split != BATCH_SPLIT_ALWAYS && helper_take_back()) {
    /* The helper had not started: the caller goes on alone. */
    back_off();
    const int rest = fused_range(bytes, part.part_start, batch_end, &reg, walking ? &walk : NULL, details);
    if (walking) problem = rest == RECORD_WALK_NONE ? record_walk_finish(&walk, details) : rest;
    *crc = ~reg;
    return problem;
  }
  bool adopted = false;
  if (walking) {
    const int64_t guess = wait_for_guess(&part, split == BATCH_SPLIT_ALWAYS ? INT64_MAX / 2 : GUESS_WAIT_NS);
    if (guess >= 0) {
      problem = record_walk_advance(&walk, guess, details);
      adopted = problem == RECORD_WALK_NONE && walk.at == guess && walk.index == part.guess_index;
    }
    count(adopted ? &statistics_guesses_taken : &statistics_guesses_missed);
    if (!adopted && problem == RECORD_WALK_NONE) problem = record_walk_finish(&walk, details);
  }
  if (helper_wait() > SPLIT_WAIT_MAX_NS && split != BATCH_SPLIT_ALWAYS) back_off();
  reg = crc32c_register_shift(reg, (uint64_t)(batch_end - part.part_start)) ^ part.reg;
  if (adopted) {
    problem = part.problem;
    if (problem != RECORD_WALK_NONE) *details = part.details;
  }
  *crc = ~reg;
  return problem;
}
