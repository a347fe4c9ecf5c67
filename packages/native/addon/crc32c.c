/*
 * CRC-32C three ways, all giving the same values:
 *
 * - x86-64 with SSE4.2: the crc32 instruction on three independent streams at once. One crc32q has a
 *   latency of three cycles but a throughput of one per cycle, so a single stream uses a third of what
 *   the CPU can do. A run of 3 * L bytes is split into three lanes of L bytes; lane 0 continues the
 *   running register, lanes 1 and 2 start from zero, and the three registers are joined afterwards:
 *     crc(A B C) = shift_L(shift_L(crc(A)) ^ crc(B)) ^ crc(C)
 *   where shift_L is the linear map that a run of L zero bytes applies to a register (CRC is linear
 *   over GF(2)). shift_L is precomputed for the three lane lengths as four 256-entry tables, one per
 *   byte of the register, so a join costs eight table look-ups.
 * - aarch64 with the ARMv8 CRC32 extension: the same three-lane scheme with crc32cx.
 * - anywhere else: slicing-by-8 tables, eight bytes per step (also when built with
 *   SLUICE_CRC32C_NO_HARDWARE defined, to test that build).
 *
 * "Register" below is the raw CRC state: the finished CRC inverted, as the crc32 instructions take it.
 */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define POLYNOMIAL_REFLECTED 0x82f63b78u

/* Lane lengths of the three-lane methods, multiples of 8, longest first. */
#define LANE_LONG_BYTES 8192
#define LANE_MEDIUM_BYTES 1024
#define LANE_SHORT_BYTES 128

/* byte_tables[k][b]: the register after k + 1 steps starting from b (slicing-by-8). */
static uint32_t byte_tables[8][256];

/* A linear map of registers as four tables, one per register byte. */
struct shift_table {
  uint32_t by_byte[4][256];
};

static struct shift_table shift_long;
static struct shift_table shift_medium;
static struct shift_table shift_short;

static uint32_t table_register(uint32_t reg, const uint8_t *bytes, size_t length);
static uint32_t (*best_register)(uint32_t, const uint8_t *, size_t) = table_register;
static const char *best_method = "table";
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static inline uint32_t load32_le(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t load64_le(const uint8_t *p) {
  return (uint64_t)load32_le(p) | ((uint64_t)load32_le(p + 4) << 32);
}

static inline uint32_t shift_apply(const struct shift_table *shift, uint32_t reg) {
  return shift->by_byte[0][reg & 0xff] ^ shift->by_byte[1][(reg >> 8) & 0xff] ^
         shift->by_byte[2][(reg >> 16) & 0xff] ^ shift->by_byte[3][reg >> 24];
}

/* ---------------------------------------------------------------------------------------------------- */
/* Portable: slicing-by-8. */

static uint32_t table_register(uint32_t reg, const uint8_t *bytes, size_t length) {
  while (length >= 8) {
    uint32_t low = reg ^ load32_le(bytes);
    uint32_t high = load32_le(bytes + 4);
    reg = byte_tables[7][low & 0xff] ^ byte_tables[6][(low >> 8) & 0xff] ^
          byte_tables[5][(low >> 16) & 0xff] ^ byte_tables[4][low >> 24] ^
          byte_tables[3][high & 0xff] ^ byte_tables[2][(high >> 8) & 0xff] ^
          byte_tables[1][(high >> 16) & 0xff] ^ byte_tables[0][high >> 24];
    bytes += 8;
    length -= 8;
  }
  while (length > 0) {
    reg = byte_tables[0][(reg ^ *bytes) & 0xff] ^ (reg >> 8);
    bytes++;
    length--;
  }
  return reg;
}

/* ---------------------------------------------------------------------------------------------------- */
/* x86-64: SSE4.2, compiled for that target only, chosen at run time. */

#if defined(SLUICE_CRC32C_NO_HARDWARE)
/* Built for the tables only (to test the portable build). */

#elif defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SLUICE_CRC32C_HARDWARE "sse4.2"
#include <nmmintrin.h>

#define HARDWARE_TARGET __attribute__((target("sse4.2")))

HARDWARE_TARGET static inline uint64_t hardware_step64(uint64_t reg, const uint8_t *p) {
  uint64_t word;
  memcpy(&word, p, sizeof word);
  return _mm_crc32_u64(reg, word);
}

HARDWARE_TARGET static inline uint32_t hardware_step8(uint32_t reg, uint8_t byte) {
  return _mm_crc32_u8(reg, byte);
}

static int hardware_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}

/* ---------------------------------------------------------------------------------------------------- */
/* aarch64: the ARMv8 CRC32 extension (crc32cx, crc32cb), chosen at run time. */

#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__linux__) || defined(__APPLE__))
#define SLUICE_CRC32C_HARDWARE "armv8-crc"
#include <arm_acle.h>
#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#endif

#if defined(__clang__)
#define HARDWARE_TARGET __attribute__((target("crc")))
#else
#define HARDWARE_TARGET __attribute__((target("+crc")))
#endif

HARDWARE_TARGET static inline uint64_t hardware_step64(uint64_t reg, const uint8_t *p) {
  uint64_t word;
  memcpy(&word, p, sizeof word);
  return __crc32cd((uint32_t)reg, word);
}

HARDWARE_TARGET static inline uint32_t hardware_step8(uint32_t reg, uint8_t byte) {
  return __crc32cb(reg, byte);
}

static int hardware_available(void) {
#if defined(__APPLE__)
  return 1; /* every Apple arm64 CPU has the CRC32 extension */
#else
  return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#endif
}

#endif

#ifdef SLUICE_CRC32C_HARDWARE

/* Three lanes of `lane_bytes` each, starting at `bytes`; returns the register after all 3 * lane_bytes. */
HARDWARE_TARGET static inline uint32_t hardware_three_lanes(uint32_t reg, const uint8_t *bytes,
                                                            size_t lane_bytes,
                                                            const struct shift_table *shift) {
  const uint8_t *lane0 = bytes;
  const uint8_t *lane1 = bytes + lane_bytes;
  const uint8_t *lane2 = bytes + 2 * lane_bytes;
  uint64_t reg0 = reg;
  uint64_t reg1 = 0;
  uint64_t reg2 = 0;
  for (size_t at = 0; at < lane_bytes; at += 8) {
    reg0 = hardware_step64(reg0, lane0 + at);
    reg1 = hardware_step64(reg1, lane1 + at);
    reg2 = hardware_step64(reg2, lane2 + at);
  }
  uint32_t joined = shift_apply(shift, (uint32_t)reg0) ^ (uint32_t)reg1;
  return shift_apply(shift, joined) ^ (uint32_t)reg2;
}

HARDWARE_TARGET static uint32_t hardware_register(uint32_t reg, const uint8_t *bytes, size_t length) {
  while (length >= 3 * LANE_LONG_BYTES) {
    reg = hardware_three_lanes(reg, bytes, LANE_LONG_BYTES, &shift_long);
    bytes += 3 * LANE_LONG_BYTES;
    length -= 3 * LANE_LONG_BYTES;
  }
  while (length >= 3 * LANE_MEDIUM_BYTES) {
    reg = hardware_three_lanes(reg, bytes, LANE_MEDIUM_BYTES, &shift_medium);
    bytes += 3 * LANE_MEDIUM_BYTES;
    length -= 3 * LANE_MEDIUM_BYTES;
  }
  while (length >= 3 * LANE_SHORT_BYTES) {
    reg = hardware_three_lanes(reg, bytes, LANE_SHORT_BYTES, &shift_short);
    bytes += 3 * LANE_SHORT_BYTES;
    length -= 3 * LANE_SHORT_BYTES;
  }
  uint64_t reg64 = reg;
  while (length >= 8) {
    reg64 = hardware_step64(reg64, bytes);
    bytes += 8;
    length -= 8;
  }
  reg = (uint32_t)reg64;
  while (length > 0) {
    reg = hardware_step8(reg, *bytes);
    bytes++;
    length--;
  }
  return reg;
}

#endif

/* ---------------------------------------------------------------------------------------------------- */
/* Tables, built once. */

/* A linear map of 32-bit registers as the images of the 32 unit vectors. */
struct linear_map {
  uint32_t columns[32];
};

static uint32_t map_apply(const struct linear_map *map, uint32_t reg) {
  uint32_t image = 0;
  for (int bit = 0; bit < 32; bit++) {
    if (reg & (1u << bit)) image ^= map->columns[bit];
  }
  return image;
}

/* `map` applied twice. */
static struct linear_map map_square(const struct linear_map *map) {
  struct linear_map squared;
  for (int bit = 0; bit < 32; bit++) squared.columns[bit] = map_apply(map, map->columns[bit]);
  return squared;
}

/* The map that a run of 2^log2_bytes zero bytes applies to a register, as a shift table. */
static void build_shift_table(struct shift_table *table, int log2_bytes) {
  struct linear_map map;
  for (int bit = 0; bit < 32; bit++) {
    uint32_t reg = 1u << bit;
    map.columns[bit] = byte_tables[0][reg & 0xff] ^ (reg >> 8);
  }
  for (int step = 0; step < log2_bytes; step++) map = map_square(&map);
  for (int byte_index = 0; byte_index < 4; byte_index++) {
    for (uint32_t byte = 0; byte < 256; byte++) {
      table->by_byte[byte_index][byte] = map_apply(&map, byte << (8 * byte_index));
    }
  }
}

static int log2_exact(uint32_t value) {
  int log2 = 0;
  while ((1u << log2) < value) log2++;
  return log2;
}

static void build_tables(void) {
  for (uint32_t byte = 0; byte < 256; byte++) {
    uint32_t reg = byte;
    for (int bit = 0; bit < 8; bit++) reg = (reg & 1) ? (reg >> 1) ^ POLYNOMIAL_REFLECTED : reg >> 1;
    byte_tables[0][byte] = reg;
  }
  for (uint32_t byte = 0; byte < 256; byte++) {
    uint32_t reg = byte_tables[0][byte];
    for (int slice = 1; slice < 8; slice++) {
      reg = byte_tables[0][reg & 0xff] ^ (reg >> 8);
      byte_tables[slice][byte] = reg;
    }
  }
  build_shift_table(&shift_long, log2_exact(LANE_LONG_BYTES));
  build_shift_table(&shift_medium, log2_exact(LANE_MEDIUM_BYTES));
  build_shift_table(&shift_short, log2_exact(LANE_SHORT_BYTES));
#ifdef SLUICE_CRC32C_HARDWARE
  if (hardware_available()) {
    best_register = hardware_register;
    best_method = SLUICE_CRC32C_HARDWARE;
  }
#endif
}

_Static_assert((LANE_LONG_BYTES & (LANE_LONG_BYTES - 1)) == 0, "lane lengths are powers of two");
_Static_assert((LANE_MEDIUM_BYTES & (LANE_MEDIUM_BYTES - 1)) == 0, "lane lengths are powers of two");
_Static_assert((LANE_SHORT_BYTES & (LANE_SHORT_BYTES - 1)) == 0, "lane lengths are powers of two");
_Static_assert(LANE_SHORT_BYTES >= 8, "lanes hold whole 8-byte words");

void crc32c_init(void) { pthread_once(&init_once, build_tables); }

uint32_t crc32c_update(uint32_t crc, const uint8_t *bytes, size_t length) {
  return ~best_register(~crc, bytes, length);
}

uint32_t crc32c_update_table(uint32_t crc, const uint8_t *bytes, size_t length) {
  return ~table_register(~crc, bytes, length);
}

const char *crc32c_method(void) { return best_method; }
