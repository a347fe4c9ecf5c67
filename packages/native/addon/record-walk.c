/*
 * The record walk of an uncompressed record batch v2, read in place:
 *
 *   record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 *           keyLength varint, key, valueLength varint, value, headerCount varint,
 *           headers: (keyLength varint, key, valueLength varint, value)*
 *
 * Varints are zigzag-encoded LEB128. A varint is at most 5 bytes and keeps the low 32 bits of what it
 * encodes; a varlong at most 10. One that does not end within its bytes, or within the buffer, is
 * malformed: its value reads as 0 and the position after it as MALFORMED, beyond any accepted buffer, so
 * every later bounds check fails. Positions are 64-bit, so adding a length to MALFORMED cannot wrap.
 *
 * Speed: decoders return their value and next position by value (in registers: a position kept in
 * memory would add a store-to-load delay to every step of the chain from one field to the next), and
 * the next record starts from the end its length gives rather than from where its fields end (they must
 * be equal), so the CPU can work on the next record while this one's fields are still being checked.
 * A record that ends at least SAFE_TAIL_BYTES before the buffer does has its fields decoded without a
 * bounds check per byte: every field is read from a position at or before the record's end (the two
 * reads that could start past it are cut short, with the same outcome the full walk would reach), and
 * no varint reads more than 10 bytes. Such a record first tries record_fast, which accepts only the
 * common well-formed shape (varints of one to three bytes) with fewer instructions; whatever it does not
 * accept, record_fields decides, so the outcome is always the full walk's. Records in record_fast's shape
 * are walked by a loop of their own (walk_fast) whose few variables stay in registers (inside the full
 * loop, the compiler kept the position in memory: about 12% slower); the full loop takes one record at a
 * time, between runs of it.
 */
#include "record-walk.h"

#include <stdint.h>

/* Offset of the first record in a batch (the batch header is 61 bytes). */
#define RECORDS_OFFSET 61
/* Past the end of any buffer the walk accepts. */
#define MALFORMED INT64_C(2147483647)
/* A varlong is at most 10 bytes: one read at a record's last byte ends this far past it, at most. */
#define SAFE_TAIL_BYTES 10
/* Records after a guessed record start that must follow on before the guess is taken. */
#define GUESS_CONFIRM_RECORDS 4

/* A decoded varint and the position after it. */
struct varint {
  int32_t value;
  int64_t next;
};

static inline int32_t zigzag(uint32_t raw) { return (int32_t)((raw >> 1) ^ (0u - (raw & 1))); }

static struct varint varint_slow(const uint8_t *bytes, int64_t length, int64_t at) {
  uint32_t raw = 0;
  for (int count = 0; count < 5; count++) {
    int64_t position = at + count;
    if (position >= length) break;
    uint8_t byte = bytes[position];
    raw |= (uint32_t)(byte & 0x7f) << (7 * count);
    if (byte < 0x80) return (struct varint){zigzag(raw), position + 1};
  }
  return (struct varint){0, MALFORMED};
}

/* The zigzag varint at `at`. One and two bytes take a fast path. */
static inline struct varint varint(const uint8_t *bytes, int64_t length, int64_t at) {
  if (at + 1 < length) {
    uint32_t b0 = bytes[at];
    if (b0 < 0x80) return (struct varint){zigzag(b0), at + 1};
    uint32_t b1 = bytes[at + 1];
    if (b1 < 0x80) return (struct varint){zigzag((b0 & 0x7f) | (b1 << 7)), at + 2};
  }
  return varint_slow(bytes, length, at);
}

/* The position after the varlong at `at`. */
static inline int64_t skip_varlong(const uint8_t *bytes, int64_t length, int64_t at) {
  for (int count = 0; count < 10; count++) {
    int64_t position = at + count;
    if (position >= length) break;
    if (bytes[position] < 0x80) return position + 1;
  }
  return MALFORMED;
}

static int fail(struct record_walk_details *details, int problem, int64_t record_index, int64_t value,
                int64_t second) {
  details->record_index = record_index;
  details->value = value;
  details->second = second;
  return problem;
}

/* `varint` for a position whose next 5 bytes are inside the buffer. */
static inline struct varint varint_inside(const uint8_t *bytes, int64_t at) {
  uint32_t b0 = bytes[at];
  if (b0 < 0x80) return (struct varint){zigzag(b0), at + 1};
  uint32_t b1 = bytes[at + 1];
  if (b1 < 0x80) return (struct varint){zigzag((b0 & 0x7f) | (b1 << 7)), at + 2};
  uint32_t raw = (b0 & 0x7f) | ((b1 & 0x7f) << 7);
  for (int count = 2; count < 5; count++) {
    uint32_t byte = bytes[at + count];
    raw |= (byte & 0x7f) << (7 * count);
    if (byte < 0x80) return (struct varint){zigzag(raw), at + count + 1};
  }
  return (struct varint){0, MALFORMED};
}

/* `skip_varlong` for a position whose next 10 bytes are inside the buffer. */
static inline int64_t skip_varlong_inside(const uint8_t *bytes, int64_t at) {
  if (bytes[at] < 0x80) return at + 1;
  for (int count = 1; count < 10; count++) {
    if (bytes[at + count] < 0x80) return at + count + 1;
  }
  return MALFORMED;
}

/*
 * The fields of the record [start, end) with index `index`: returns a record_walk_problem. `inside`
 * (a constant at each call, so each gets its own copy) says that end + SAFE_TAIL_BYTES <= length.
 */
static inline __attribute__((always_inline)) int record_fields(const uint8_t *bytes, int64_t length,
                                                             int64_t start, int64_t end, int64_t index,
                                                             bool require_keys, bool inside,
                                                             struct record_walk_details *details) {
#define VARINT(at) (inside ? varint_inside(bytes, (at)) : varint(bytes, length, (at)))
  /* After the attributes byte (start + 1 <= end): timestampDelta, then offsetDelta. */
  const int64_t timestamp_end =
      inside ? skip_varlong_inside(bytes, start + 1) : skip_varlong(bytes, length, start + 1);
  /* An offsetDelta read from past the end would end past it too: cut short. */
  if (!(timestamp_end <= end)) return fail(details, RECORD_WALK_TIMESTAMP_OR_OFFSET_DELTA, index, 0, 0);
  const struct varint offset_delta = VARINT(timestamp_end);
  int64_t field = offset_delta.next;
  if (!(field <= end)) return fail(details, RECORD_WALK_TIMESTAMP_OR_OFFSET_DELTA, index, 0, 0);
  if (offset_delta.value != index) return fail(details, RECORD_WALK_OFFSET_DELTA, index, offset_delta.value, 0);
  const struct varint key_length = VARINT(field);
  field = key_length.next;
  if (key_length.value > 0)
    field += key_length.value;
  else if (key_length.value < -1)
    return fail(details, RECORD_WALK_KEY_LENGTH, index, key_length.value, 0);
  else if (key_length.value == -1 && require_keys)
    return fail(details, RECORD_WALK_MISSING_KEY, index, 0, 0);
  if (!(field <= end)) return fail(details, RECORD_WALK_KEY, index, key_length.value, 0);
  const struct varint value_length = VARINT(field);
  field = value_length.next;
  if (value_length.value > 0) field += value_length.value;
  if (!(value_length.value >= -1 && field <= end))
    return fail(details, RECORD_WALK_VALUE, index, value_length.value, 0);
  const struct varint header_count = VARINT(field);
  field = header_count.next;
  if (!(header_count.value >= 0 && field <= end))
    return fail(details, RECORD_WALK_HEADER_COUNT, index, header_count.value, 0);
  for (int32_t header = 0; header < header_count.value; header++) {
    const struct varint header_key_length = VARINT(field);
    field = header_key_length.next;
    if (header_key_length.value > 0) field += header_key_length.value;
    /* Past the end already: the header fails whatever its value length reads. */
    if (!(field <= end)) return fail(details, RECORD_WALK_HEADER, index, header, 0);
    const struct varint header_value_length = VARINT(field);
    field = header_value_length.next;
    if (header_value_length.value > 0) field += header_value_length.value;
    if (!(header_key_length.value >= 0 && header_value_length.value >= -1 && field <= end))
      return fail(details, RECORD_WALK_HEADER, index, header, 0);
  }
  if (field != end) return fail(details, RECORD_WALK_FIELDS, index, field - start, end - start);
  return RECORD_WALK_NONE;
#undef VARINT
}


/*
 * The common case, fast: a record whose varints are one to three bytes long and which is well formed.
 * Returns true only for a record that record_fields accepts (it then ends at `end`, as both require);
 * false means "decide with record_fields", which finds the exact problem or accepts the record after all.
 * Zigzag values are not decoded: an even raw value is a length >= 0 (raw / 2), and an odd one is -1
 * (raw 1) or less. Needs end + SAFE_TAIL_BYTES <= length: every read is at most 8 bytes past `end`.
 */
static inline __attribute__((always_inline)) bool record_fast(const uint8_t *bytes, int64_t start,
                                                              int64_t end, int64_t index,
                                                              bool require_keys) {
#define SHORT_RAW(raw)                                                  \
  do {                                                                  \
    const uint32_t b0 = bytes[at];                                      \
    if (b0 < 0x80) {                                                    \
      (raw) = b0;                                                       \
      at += 1;                                                          \
    } else {                                                            \
      const uint32_t b1 = bytes[at + 1];                                \
      if (b1 < 0x80) {                                                  \
        (raw) = (b0 & 0x7f) | (b1 << 7);                                \
        at += 2;                                                        \
      } else {                                                          \
        const uint32_t b2 = bytes[at + 2];                              \
        if (b2 >= 0x80) return false;                                   \
        (raw) = (b0 & 0x7f) | ((b1 & 0x7f) << 7) | (b2 << 14);          \
        at += 3;                                                        \
      }                                                                 \
    }                                                                   \
  } while (0)
  int64_t at = start + 1; /* after the attributes byte */
  uint32_t raw;
  SHORT_RAW(raw); /* timestampDelta: any value */
  SHORT_RAW(raw); /* offsetDelta: must be the record's index */
  if ((uint64_t)raw != (uint64_t)index << 1) return false;
  SHORT_RAW(raw); /* keyLength */
  if (raw & 1) {
    if (raw != 1 || require_keys) return false;
  } else {
    at += raw >> 1;
  }
  if (at > end) return false;
  SHORT_RAW(raw); /* valueLength */
  if (raw & 1) {
    if (raw != 1) return false;
  } else {
    at += raw >> 1;
    if (at > end) return false;
  }
  SHORT_RAW(raw); /* headerCount */
  if (raw & 1) return false;
  for (uint32_t header = raw >> 1; header > 0; header--) {
    if (at > end) return false;
    SHORT_RAW(raw); /* header keyLength */
    if (raw & 1) return false;
    at += raw >> 1;
    if (at > end) return false;
    SHORT_RAW(raw); /* header valueLength */
    if (raw & 1) {
      if (raw != 1) return false;
    } else {
      at += raw >> 1;
    }
  }
  return at == end;
#undef SHORT_RAW
}

void record_walk_begin(struct record_walk *walk, const uint8_t *bytes, int64_t length, int64_t batch_start,
                       int64_t size_bytes, int64_t record_count, bool require_keys) {
  walk->bytes = bytes;
  walk->length = length;
  walk->batch_end = batch_start + size_bytes;
  /* Records that end by here may take record_fast (inside the batch, SAFE_TAIL_BYTES before the end of
     the buffer); it also bounds the two-byte read of a length. */
  walk->fast_limit = walk->batch_end < length - SAFE_TAIL_BYTES ? walk->batch_end : length - SAFE_TAIL_BYTES;
  walk->record_count = record_count;
  walk->require_keys = require_keys;
  walk->at = batch_start + RECORDS_OFFSET;
  walk->index = 0;
}

/*
 * Records in record_fast's shape, one after another, from `*at` with index `*index`: stops before the
 * first that is not (or that ends past `fast_limit`), at `stop` or at `record_count`. A loop of its own, so
 * that its few variables stay in registers.
 */
static inline __attribute__((always_inline)) void walk_fast(const uint8_t *bytes, int64_t fast_limit,
                                                            int64_t stop, int64_t record_count,
                                                            bool require_keys, int64_t *at_out,
                                                            int64_t *index_out) {
  int64_t at = *at_out;
  int64_t index = *index_out;
  const int64_t limit = stop < fast_limit ? stop : fast_limit;
  while (index < record_count && at < limit) {
    /* A one- or two-byte length, even (so >= 0; 0 leaves record_fast nothing to accept). */
    const uint32_t b0 = bytes[at];
    const uint32_t b1 = bytes[at + 1];
    const uint32_t two_bytes = b0 >> 7;
    const uint32_t raw = two_bytes ? (b0 & 0x7f) | (b1 << 7) : b0;
    const int64_t start = at + 1 + two_bytes;
    const int64_t end = start + (raw >> 1);
    if (((two_bytes & (b1 >> 7)) | (raw & 1)) != 0 || end > fast_limit ||
        !record_fast(bytes, start, end, index, require_keys))
      break;
    at = end;
    index++;
  }
  *at_out = at;
  *index_out = index;
}

int record_walk_advance(struct record_walk *walk, int64_t stop, struct record_walk_details *details) {
  const uint8_t *const bytes = walk->bytes;
  const int64_t length = walk->length;
  const int64_t batch_end = walk->batch_end;
  const int64_t record_count = walk->record_count;
  const bool require_keys = walk->require_keys;
  int64_t at = walk->at;
  int64_t index = walk->index;
  int problem = RECORD_WALK_NONE;
  for (;;) {
    walk_fast(bytes, walk->fast_limit, stop, record_count, require_keys, &at, &index);
    if (!(index < record_count && at < stop)) break;
    /* A record record_fast did not take: the full walk decides. */
    if (!(at < batch_end)) {
      problem = fail(details, RECORD_WALK_BATCH_ENDS_EARLY, index, index, 0);
      break;
    }
    const struct varint record_length = varint(bytes, length, at);
    const int64_t start = record_length.next;
    const int64_t end = start + record_length.value;
    if (!(record_length.value > 0 && end <= batch_end)) {
      problem = fail(details, RECORD_WALK_LENGTH, index, record_length.value, batch_end - start);
      break;
    }
    problem = end + SAFE_TAIL_BYTES <= length
                  ? record_fields(bytes, length, start, end, index, require_keys, true, details)
                  : record_fields(bytes, length, start, end, index, require_keys, false, details);
    if (problem != RECORD_WALK_NONE) break;
    at = end;
    index++;
  }
  walk->at = at;
  walk->index = index;
  return problem;
}

/*
 * Whether a well-formed record whose offset delta is `index` starts at `at` (record_fast's shape only):
 * then stores where it ends. Needs at < fast_limit.
 */
static inline bool record_at(const struct record_walk *walk, int64_t at, int64_t index, int64_t *end) {
  const uint8_t *const bytes = walk->bytes;
  const uint32_t b0 = bytes[at];
  const uint32_t b1 = bytes[at + 1];
  const uint32_t two_bytes = b0 >> 7;
  const uint32_t raw = two_bytes ? (b0 & 0x7f) | (b1 << 7) : b0;
  const int64_t start = at + 1 + two_bytes;
  *end = start + (raw >> 1);
  return ((two_bytes & (b1 >> 7)) | (raw & 1)) == 0 && *end <= walk->fast_limit &&
         record_fast(bytes, start, *end, index, walk->require_keys);
}

bool record_walk_guess(const struct record_walk *walk, int64_t from, int64_t scan_bytes, int64_t *at,
                       int64_t *index) {
  const int64_t scan_end = from + scan_bytes < walk->fast_limit ? from + scan_bytes : walk->fast_limit;
  for (int64_t candidate = from; candidate < scan_end; candidate++) {
    /* The record's own offset delta says which it would be: after its length, attributes and timestamp
       delta. */
    const struct varint length = varint(walk->bytes, walk->length, candidate);
    if (!(length.value > 0 && length.next + length.value <= walk->fast_limit)) continue;
    const int64_t timestamp_end = skip_varlong(walk->bytes, walk->length, length.next + 1);
    const struct varint offset_delta = varint(walk->bytes, walk->length, timestamp_end);
    if (!(offset_delta.value >= 0 && offset_delta.value < walk->record_count)) continue;
    int64_t end;
    if (!record_at(walk, candidate, offset_delta.value, &end)) continue;
    /* The records after it must follow on, numbered on. */
    bool follows = true;
    int64_t next_index = offset_delta.value + 1;
    for (int confirmed = 0; confirmed < GUESS_CONFIRM_RECORDS && follows; confirmed++, next_index++) {
      if (next_index == walk->record_count || end == walk->batch_end) break;
      follows = end < walk->fast_limit && record_at(walk, end, next_index, &end);
    }
    if (!follows) continue;
    *at = candidate;
    *index = offset_delta.value;
    return true;
  }
  return false;
}

void record_walk_begin_at(struct record_walk *walk, int64_t at, int64_t index) {
  walk->at = at;
  walk->index = index;
}

int record_walk_finish(struct record_walk *walk, struct record_walk_details *details) {
  const int problem = record_walk_advance(walk, INT64_MAX, details);
  if (problem != RECORD_WALK_NONE) return problem;
  if (walk->at != walk->batch_end)
    return fail(details, RECORD_WALK_TRAILING_BYTES, walk->record_count, walk->batch_end - walk->at, 0);
  return RECORD_WALK_NONE;
}

int record_walk(const uint8_t *bytes, int64_t length, int64_t batch_start, int64_t size_bytes,
                int64_t record_count, bool require_keys, struct record_walk_details *details) {
  struct record_walk walk;
  record_walk_begin(&walk, bytes, length, batch_start, size_bytes, record_count, require_keys);
  return record_walk_finish(&walk, details);
}
