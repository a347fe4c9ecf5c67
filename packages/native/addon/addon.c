/*
 * The Node-API surface of @sluice/native (plain node_api.h, Node-API version 8):
 *
 *   crc32c(bytes: Uint8Array, start: number, end: number, initial: number): number
 *   crc32cTable(bytes: Uint8Array, start: number, end: number, initial: number): number
 *   crc32cInstruction(bytes: Uint8Array, start: number, end: number, initial: number): number
 *   walkRecords(buffer: Uint8Array, batchStart: number, sizeBytes: number, recordCount: number,
 *               requireKeys: boolean, details: Float64Array): number
 *   validateBatch(buffer: Uint8Array, batchStart: number, sizeBytes: number, recordCount: number,
 *                 requireKeys: boolean, details: Float64Array): number
 *   startBatchCheck(buffer: Uint8Array, batchStart: number, sizeBytes: number, recordCount: number,
 *                   requireKeys: boolean, lingerMicros: number): boolean
 *   finishBatchCheck(details: Float64Array): number
 *   batchCrc(buffer: Uint8Array, batchStart: number, sizeBytes: number): number
 *   setSplit(mode: 0 | 1 | 2): undefined
 *   validationStatistics(): { splits, guessesTaken, guessesMissed, backoffs, helperPosts, helperTakenBack,
 *                             helperWakeups, helperStartDelayNs, helperWaits, helperWaitNs }
 *   crc32cMethod: "avx512-vpclmulqdq" | "sse4.2" | "armv8-crc" | "table"
 *   splitMinBytes: number
 *
 * crc32c is CRC-32C of bytes[start, end) continuing from `initial` (0 to begin), with the fastest method
 * of this CPU; crc32cTable the same with the portable tables, crc32cInstruction with the crc32
 * instruction where the CPU has it (else the tables). walkRecords returns a record walk problem
 * code (0 when the records are well formed) and, for a problem, writes [record index, value, second
 * value] to `details`. validateBatch does the CRC-32C of the batch's [attributes, end) and the walk in one
 * pass (batch-validation.h): it returns the walk's problem code, writes the details of a problem to
 * `details[0..2]` and the CRC-32C to `details[3]`. batchCrc is that CRC-32C alone. Both split a large
 * batch with the helper thread as setSplit chooses: 0 never (the default), 1 when the helper is free, 2
 * always, the caller waiting for the helper to start (for tests of that path). startBatchCheck hands
 * validateBatch of one batch to the helper thread and returns at once (false when the helper is taken:
 * nothing started); finishBatchCheck then returns its outcome as validateBatch does, waiting for the
 * helper if it is still at it, or doing the check itself if the helper had not begun. lingerMicros (at
 * most 10000) keeps the helper spinning that long after the check for the next one. Misuse (a wrong
 * type, a range outside the bytes) throws a TypeError or RangeError.
 */
#include <node_api.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch-validation.h"
#include "crc32c.h"
#include "helper-thread.h"
#include "record-walk.h"

/* Buffers the record walk accepts are shorter than this (its positions use it as "malformed"). */
#define WALK_MAX_BUFFER_BYTES INT64_C(2147483647)

static napi_value throw_type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

static napi_value throw_range_error(napi_env env, const char *message) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message);
  return NULL;
}

/* The bytes of a Uint8Array (a Buffer included); false if `value` is not one. */
static bool get_bytes(napi_env env, napi_value value, const uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  void *raw = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, NULL, NULL) != napi_ok) return false;
  if (type != napi_uint8_array) return false;
  *data = (const uint8_t *)raw;
  return true;
}

static napi_value crc32c_with(napi_env env, napi_callback_info info,
                              uint32_t (*update)(uint32_t, const uint8_t *, size_t)) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 4) return throw_type_error(env, "crc32c takes (bytes, start, end, initial)");
  const uint8_t *data;
  size_t length;
  if (!get_bytes(env, argv[0], &data, &length)) return throw_type_error(env, "bytes must be a Uint8Array");
  int64_t start;
  int64_t end;
  uint32_t initial;
  if (napi_get_value_int64(env, argv[1], &start) != napi_ok ||
      napi_get_value_int64(env, argv[2], &end) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &initial) != napi_ok)
    return throw_type_error(env, "start, end and initial must be numbers");
  if (!(0 <= start && start <= end && (uint64_t)end <= length))
    return throw_range_error(env, "crc32c needs 0 <= start <= end <= bytes.length");
  uint32_t crc = update(initial, data + start, (size_t)(end - start));
  napi_value result;
  napi_create_uint32(env, crc, &result);
  return result;
}

static napi_value crc32c_best(napi_env env, napi_callback_info info) {
  return crc32c_with(env, info, crc32c_update);
}

static napi_value crc32c_table(napi_env env, napi_callback_info info) {
  return crc32c_with(env, info, crc32c_update_table);
}

static napi_value crc32c_instruction(napi_env env, napi_callback_info info) {
  return crc32c_with(env, info, crc32c_update_instruction);
}

static napi_value walk_records(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 6)
    return throw_type_error(
        env, "walkRecords takes (buffer, batchStart, sizeBytes, recordCount, requireKeys, details)");
  const uint8_t *data;
  size_t length;
  if (!get_bytes(env, argv[0], &data, &length)) return throw_type_error(env, "buffer must be a Uint8Array");
  if ((uint64_t)length >= (uint64_t)WALK_MAX_BUFFER_BYTES)
    return throw_range_error(env, "record walks need buffers shorter than 2 GiB");
  int64_t batch_start;
  int64_t size_bytes;
  int64_t record_count;
  bool require_keys;
  if (napi_get_value_int64(env, argv[1], &batch_start) != napi_ok ||
      napi_get_value_int64(env, argv[2], &size_bytes) != napi_ok ||
      napi_get_value_int64(env, argv[3], &record_count) != napi_ok)
    return throw_type_error(env, "batchStart, sizeBytes and recordCount must be numbers");
  if (napi_get_value_bool(env, argv[4], &require_keys) != napi_ok)
    return throw_type_error(env, "requireKeys must be a boolean");
  if (!(0 <= batch_start && batch_start <= (int64_t)length && 0 <= size_bytes &&
        size_bytes <= WALK_MAX_BUFFER_BYTES))
    return throw_range_error(env, "walkRecords needs a batch that starts inside the buffer");

  struct record_walk_details details;
  int problem = record_walk(data, (int64_t)length, batch_start, size_bytes, record_count, require_keys,
                            &details);
  if (problem != RECORD_WALK_NONE) {
    napi_typedarray_type type;
    size_t detail_count;
    void *detail_data;
    if (napi_get_typedarray_info(env, argv[5], &type, &detail_count, &detail_data, NULL, NULL) != napi_ok ||
        type != napi_float64_array || detail_count < 3)
      return throw_type_error(env, "details must be a Float64Array of at least 3 numbers");
    double *out = (double *)detail_data;
    out[0] = (double)details.record_index;
    out[1] = (double)details.value;
    out[2] = (double)details.second;
  }
  napi_value result;
  napi_create_int32(env, problem, &result);
  return result;
}

/* The batch arguments of validateBatch and batchCrc: a buffer and a batch inside it. */
struct batch_arguments {
  const uint8_t *data;
  size_t length;
  int64_t batch_start;
  int64_t size_bytes;
};

static bool get_batch(napi_env env, napi_value *argv, int64_t min_size_bytes, bool walk,
                      struct batch_arguments *batch) {
  if (!get_bytes(env, argv[0], &batch->data, &batch->length)) {
    throw_type_error(env, "buffer must be a Uint8Array");
    return false;
  }
  if (walk && (uint64_t)batch->length >= (uint64_t)WALK_MAX_BUFFER_BYTES) {
    throw_range_error(env, "batch validation needs buffers shorter than 2 GiB");
    return false;
  }
  if (napi_get_value_int64(env, argv[1], &batch->batch_start) != napi_ok ||
      napi_get_value_int64(env, argv[2], &batch->size_bytes) != napi_ok) {
    throw_type_error(env, "batchStart and sizeBytes must be numbers");
    return false;
  }
  if (!(0 <= batch->batch_start && min_size_bytes <= batch->size_bytes &&
        batch->size_bytes <= (int64_t)batch->length - batch->batch_start)) {
    throw_range_error(env, "the batch must lie inside the buffer and hold a whole header");
    return false;
  }
  return true;
}

/* Whether to split large batches with the helper thread (enum batch_split), for the whole process. */
static _Atomic int split_mode = BATCH_SPLIT_NEVER;

static int validate(const struct batch_arguments *batch, int64_t record_count, bool require_keys,
                    bool walk_records, uint32_t *crc, struct record_walk_details *details) {
  return batch_validate(batch->data, (int64_t)batch->length, batch->batch_start, batch->size_bytes,
                        record_count, require_keys, walk_records, (enum batch_split)split_mode, crc, details);
}

/* The question of validateBatch and startBatchCheck, argv[0..4]: a batch, its record count, requireKeys. */
static bool get_batch_question(napi_env env, napi_value *argv, struct batch_arguments *batch,
                               int64_t *record_count, bool *require_keys) {
  if (!get_batch(env, argv, BATCH_RECORDS_START, true, batch)) return false;
  if (napi_get_value_int64(env, argv[3], record_count) != napi_ok) {
    throw_type_error(env, "recordCount must be a number");
    return false;
  }
  if (napi_get_value_bool(env, argv[4], require_keys) != napi_ok) {
    throw_type_error(env, "requireKeys must be a boolean");
    return false;
  }
  return true;
}

/* The details array a validation answers in: a Float64Array of at least 4 numbers. */
static double *get_details(napi_env env, napi_value value) {
  napi_typedarray_type type;
  size_t detail_count;
  void *detail_data;
  if (napi_get_typedarray_info(env, value, &type, &detail_count, &detail_data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || detail_count < 4) {
    throw_type_error(env, "details must be a Float64Array of at least 4 numbers");
    return NULL;
  }
  return (double *)detail_data;
}

/* Writes a validation's outcome to `out` (a problem's details, then the CRC-32C); returns the problem. */
static napi_value answer_validation(napi_env env, double *out, int problem, uint32_t crc,
                                    const struct record_walk_details *details) {
  if (problem != RECORD_WALK_NONE) {
    out[0] = (double)details->record_index;
    out[1] = (double)details->value;
    out[2] = (double)details->second;
  }
  out[3] = (double)crc;
  napi_value result;
  napi_create_int32(env, problem, &result);
  return result;
}

static napi_value validate_batch(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 6)
    return throw_type_error(
        env, "validateBatch takes (buffer, batchStart, sizeBytes, recordCount, requireKeys, details)");
  struct batch_arguments batch;
  int64_t record_count;
  bool require_keys;
  if (!get_batch_question(env, argv, &batch, &record_count, &require_keys)) return NULL;
  double *out = get_details(env, argv[5]);
  if (out == NULL) return NULL;
  uint32_t crc;
  struct record_walk_details details;
  const int problem = validate(&batch, record_count, require_keys, true, &crc, &details);
  return answer_validation(env, out, problem, crc, &details);
}

/*
 * startBatchCheck / finishBatchCheck: validateBatch of one batch on the helper thread while the caller
 * does something else (writes the batch before it), then its outcome. One check at a time per calling
 * thread: a start while one is not finished starts nothing and returns false, as when the helper is busy
 * for another thread. The caller keeps the buffer alive and unchanged until it has finished the check.
 */
struct batch_check {
  struct batch_arguments batch;
  int64_t record_count;
  bool require_keys;
  bool posted;
  int problem;
  uint32_t crc;
  struct record_walk_details details;
};

static _Thread_local struct batch_check thread_check;

/* The longest a caller may ask the helper to wait awake for its next check. */
#define MAX_LINGER_MICROS 10000

static void run_batch_check(void *argument) {
  struct batch_check *check = argument;
  const struct batch_arguments *batch = &check->batch;
  check->problem = batch_validate(batch->data, (int64_t)batch->length, batch->batch_start, batch->size_bytes,
                                  check->record_count, check->require_keys, true, BATCH_SPLIT_NEVER,
                                  &check->crc, &check->details);
}

static napi_value start_batch_check(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 6)
    return throw_type_error(env, "startBatchCheck takes (buffer, batchStart, sizeBytes, recordCount, "
                                 "requireKeys, lingerMicros)");
  struct batch_check *check = &thread_check;
  struct batch_arguments batch;
  int64_t record_count;
  bool require_keys;
  if (!get_batch_question(env, argv, &batch, &record_count, &require_keys)) return NULL;
  double linger_micros;
  if (napi_get_value_double(env, argv[5], &linger_micros) != napi_ok || !(linger_micros >= 0) ||
      linger_micros > MAX_LINGER_MICROS)
    return throw_range_error(env, "lingerMicros must be a number of microseconds from 0 to 10000");
  napi_value result;
  /* This thread's check slot holds a check not finished yet: the helper is taken. */
  if (check->posted) {
    napi_get_boolean(env, false, &result);
    return result;
  }
  check->batch = batch;
  check->record_count = record_count;
  check->require_keys = require_keys;
  check->posted = helper_post(run_batch_check, check, (int64_t)(linger_micros * 1000));
  napi_get_boolean(env, check->posted, &result);
  return result;
}

static napi_value finish_batch_check(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  struct batch_check *check = &thread_check;
  if (!check->posted) return throw_range_error(env, "finishBatchCheck: no check was started");
  if (argc < 1) return throw_type_error(env, "finishBatchCheck takes (details)");
  double *out = get_details(env, argv[0]);
  if (out == NULL) return NULL;
  if (helper_take_back())
    run_batch_check(check);
  else
    helper_wait();
  check->posted = false;
  return answer_validation(env, out, check->problem, check->crc, &check->details);
}

static napi_value batch_crc(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) return throw_type_error(env, "batchCrc takes (buffer, batchStart, sizeBytes)");
  struct batch_arguments batch;
  if (!get_batch(env, argv, BATCH_CRC_START, false, &batch)) return NULL;
  uint32_t crc;
  struct record_walk_details unused;
  validate(&batch, 0, false, false, &crc, &unused);
  napi_value result;
  napi_create_uint32(env, crc, &result);
  return result;
}

static napi_value set_split(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t mode;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &mode) != napi_ok || mode < 0 || mode > 2)
    return throw_type_error(env, "setSplit takes 0 (never), 1 (when the helper is free) or 2 (always)");
  split_mode = mode;
  return NULL;
}

static bool set_number(napi_env env, napi_value object, const char *name, int64_t value) {
  napi_value number;
  return napi_create_double(env, (double)value, &number) == napi_ok &&
         napi_set_named_property(env, object, name, number) == napi_ok;
}

static napi_value validation_statistics(napi_env env, napi_callback_info info) {
  (void)info;
  struct batch_validation_statistics validation;
  struct helper_statistics helper;
  batch_validation_statistics(&validation);
  helper_statistics(&helper);
  napi_value object;
  if (napi_create_object(env, &object) != napi_ok) return NULL;
  if (!set_number(env, object, "splits", validation.splits) ||
      !set_number(env, object, "guessesTaken", validation.guesses_taken) ||
      !set_number(env, object, "guessesMissed", validation.guesses_missed) ||
      !set_number(env, object, "backoffs", validation.backoffs) ||
      !set_number(env, object, "helperPosts", helper.posts) ||
      !set_number(env, object, "helperTakenBack", helper.taken_back) ||
      !set_number(env, object, "helperWakeups", helper.helper_wakeups) ||
      !set_number(env, object, "helperStartDelayNs", helper.start_delay_ns) ||
      !set_number(env, object, "helperWaits", helper.waits) ||
      !set_number(env, object, "helperWaitNs", helper.wait_ns))
    return NULL;
  return object;
}

static bool export_function(napi_env env, napi_value exports, const char *name, napi_callback callback) {
  napi_value function;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &function) == napi_ok &&
         napi_set_named_property(env, exports, name, function) == napi_ok;
}

NAPI_MODULE_INIT() {
  crc32c_init();
  napi_value method;
  if (!export_function(env, exports, "crc32c", crc32c_best) ||
      !export_function(env, exports, "crc32cTable", crc32c_table) ||
      !export_function(env, exports, "crc32cInstruction", crc32c_instruction) ||
      !export_function(env, exports, "walkRecords", walk_records) ||
      !export_function(env, exports, "validateBatch", validate_batch) ||
      !export_function(env, exports, "startBatchCheck", start_batch_check) ||
      !export_function(env, exports, "finishBatchCheck", finish_batch_check) ||
      !export_function(env, exports, "batchCrc", batch_crc) ||
      !export_function(env, exports, "setSplit", set_split) ||
      !export_function(env, exports, "validationStatistics", validation_statistics) ||
      napi_create_string_utf8(env, crc32c_method(), NAPI_AUTO_LENGTH, &method) != napi_ok ||
      !set_number(env, exports, "splitMinBytes", BATCH_VALIDATION_SPLIT_BYTES) ||
      napi_set_named_property(env, exports, "crc32cMethod", method) != napi_ok)
    return NULL;
  return exports;
}
