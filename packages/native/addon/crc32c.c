/*
 * CRC-32C four ways, all giving the same values, the fastest this CPU offers chosen at run time:
 *
 * - x86-64 with AVX-512 and VPCLMULQDQ: folding with carry-less multiplication, 64 bytes per
 *   instruction pair, about twice the crc32 instruction's speed (below, "Folding").
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
 *   SLUICE_CRC32C_NO_HARDWARE defined, to test that build; SLUICE_CRC32C_NO_FOLD leaves out folding).
 *
 * "Register" below is the raw CRC state: the finished CRC inverted, as the crc32 instructions take it.
 * As a polynomial over GF(2), bit 31 is the coefficient of x^0 and bit 0 that of x^31.
 */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define POLYNOMIAL_REFLECTED 0x82f63b78u

/* Lane lengths of the three-lane methods, multiples of 8, longest first. */
#define LANE_LONG_BYTES 8192
#define LANE_MEDIUM_BYTES 1024
#define LANE_SHORT_BYTES 128

/* Runs shorter than this are left to the crc32 instruction when folding is chosen. */
#define FOLD_MIN_BYTES 256

_Static_assert(LANE_LONG_BYTES % 8 == 0 && LANE_MEDIUM_BYTES % 8 == 0 && LANE_SHORT_BYTES % 8 == 0,
               "lanes hold whole 8-byte words");

/* byte_tables[k][b]: the register after k + 1 steps starting from b (slicing-by-8). */
static uint32_t byte_tables[8][256];

/* A linear map of registers as four tables, one per register byte. */
struct shift_table {
  uint32_t by_byte[4][256];
};

static struct shift_table shift_long;
static struct shift_table shift_medium;
static struct shift_table shift_short;

/* x_to_8_times_2_to[k] is x^(8 * 2^k) mod P: a shift by n zero bytes is a product over n's set bits. */
static uint32_t x_to_8_times_2_to[64];

static uint32_t table_register(uint32_t reg, const uint8_t *bytes, size_t length);
static uint32_t (*best_register)(uint32_t, const uint8_t *, size_t) = table_register;
static const char *best_method = "table";
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static inline uint32_t load32_le(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint32_t shift_apply(const struct shift_table *shift, uint32_t reg) {
  return shift->by_byte[0][reg & 0xff] ^ shift->by_byte[1][(reg >> 8) & 0xff] ^
         shift->by_byte[2][(reg >> 16) & 0xff] ^ shift->by_byte[3][reg >> 24];
}

/* a * b mod P, both registers. */
static uint32_t multiply_modulo(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t coefficient = 0x80000000u; coefficient != 0; coefficient >>= 1) {
    if (a & coefficient) product ^= b;
    b = (b & 1) ? (b >> 1) ^ POLYNOMIAL_REFLECTED : b >> 1; /* b * x */
  }
  return product;
}

/* x^exponent mod P, as a register. */
static uint32_t power_of_x(uint64_t exponent) {
  uint32_t power = 0x80000000u;  /* x^0 */
  uint32_t square = 0x40000000u; /* x^1, squared as the exponent's bits go by */
  for (; exponent != 0; exponent >>= 1) {
    if (exponent & 1) power = multiply_modulo(power, square);
    square = multiply_modulo(square, square);
  }
  return power;
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
/* The crc32 instruction: x86-64 SSE4.2 or the aarch64 CRC32 extension, compiled for that extension only. */

#if defined(SLUICE_CRC32C_NO_HARDWARE)
/* Built for the tables only. */

#elif defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HARDWARE_METHOD "sse4.2"
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

#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__linux__) || defined(__APPLE__))
#define HARDWARE_METHOD "armv8-crc"
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

#ifdef HARDWARE_METHOD

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
/*
 * Folding: x86-64 with AVX-512 and VPCLMULQDQ. A message is folded 64 bytes at a time into 512-bit
 * accumulators of four 128-bit lanes: a lane L (a polynomial of degree < 128, its first bit the highest)
 * is replaced by L_high * (x^(n+64) mod P) ^ L_low * (x^n mod P), which is congruent to L moved n bits
 * on, and the bytes found there are added. The register at the start is added to the first four bytes
 * (a CRC from register r is the CRC from 0 of the message with r added to its start). At the end all lanes
 * are folded into one 128-bit value V, congruent to the whole message as its last 16 bytes, so the
 * register is the crc32 instruction's over V's 16 bytes, starting from 0. The lanes hold bit-reflected
 * polynomials, and the carry-less product of two reflected 64-bit values comes out one bit short, so each
 * multiplier is x^(n+63) and x^(n-1) rather than x^(n+64) and x^n.
 */

#if defined(HARDWARE_METHOD) && defined(__x86_64__) && !defined(SLUICE_CRC32C_NO_FOLD)
#define FOLD_METHOD "avx512-vpclmulqdq"
#include <immintrin.h>

#define FOLD_TARGET __attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.2")))

/* Multipliers of a fold over n bits, as bit-reflected 64-bit values: x^(n+63) mod P, x^(n-1) mod P. */
struct fold_multipliers {
  uint64_t high;
  uint64_t low;
};

static struct fold_multipliers fold_by_2048;
static struct fold_multipliers fold_by_512;
static struct fold_multipliers fold_by_384;
static struct fold_multipliers fold_by_256;
static struct fold_multipliers fold_by_128;

static struct fold_multipliers fold_multipliers_for(uint64_t bits) {
  /* A register shifted up by 32 is the same polynomial as a reflected 64-bit value. */
  return (struct fold_multipliers){(uint64_t)power_of_x(bits + 63) << 32,
                                   (uint64_t)power_of_x(bits - 1) << 32};
}

static void build_fold_multipliers(void) {
  fold_by_2048 = fold_multipliers_for(2048);
  fold_by_512 = fold_multipliers_for(512);
  fold_by_384 = fold_multipliers_for(384);
  fold_by_256 = fold_multipliers_for(256);
  fold_by_128 = fold_multipliers_for(128);
}

static int fold_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul") &&
         __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("vpclmulqdq");
}

FOLD_TARGET static inline __m512i fold_lanes(struct fold_multipliers multipliers) {
  return _mm512_broadcast_i32x4(_mm_set_epi64x((long long)multipliers.low, (long long)multipliers.high));
}

/* Every lane of `accumulator` moved on by the fold of `multipliers`, plus `data`. */
FOLD_TARGET static inline __m512i fold_512(__m512i accumulator, __m512i multipliers, __m512i data) {
  const __m512i high = _mm512_clmulepi64_epi128(accumulator, multipliers, 0x00);
  const __m512i low = _mm512_clmulepi64_epi128(accumulator, multipliers, 0x11);
  return _mm512_ternarylogic_epi64(high, low, data, 0x96); /* high ^ low ^ data */
}

FOLD_TARGET static inline __m128i fold_128(__m128i lane, struct fold_multipliers multipliers) {
  const __m128i by = _mm_set_epi64x((long long)multipliers.low, (long long)multipliers.high);
  return _mm_xor_si128(_mm_clmulepi64_si128(lane, by, 0x00), _mm_clmulepi64_si128(lane, by, 0x11));
}

/* The register of a message whose 64-byte blocks were folded into `accumulator`, its last lane last. */
FOLD_TARGET static uint32_t fold_reduce(__m512i accumulator) {
  const __m128i folded = _mm_ternarylogic_epi64(
      _mm_xor_si128(fold_128(_mm512_extracti32x4_epi32(accumulator, 0), fold_by_384),
                    _mm512_extracti32x4_epi32(accumulator, 3)),
      fold_128(_mm512_extracti32x4_epi32(accumulator, 1), fold_by_256),
      fold_128(_mm512_extracti32x4_epi32(accumulator, 2), fold_by_128), 0x96);
  const uint64_t reg = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(folded));
  return (uint32_t)_mm_crc32_u64(reg, (uint64_t)_mm_extract_epi64(folded, 1));
}

/* Four accumulators, 256 bytes a step; runs shorter than FOLD_MIN_BYTES, and the tail, by crc32q. */
FOLD_TARGET static uint32_t fold_register(uint32_t reg, const uint8_t *bytes, size_t length) {
  if (length < FOLD_MIN_BYTES) return hardware_register(reg, bytes, length);
  const __m512i by_2048 = fold_lanes(fold_by_2048);
  const __m512i by_512 = fold_lanes(fold_by_512);
  __m512i accumulator0 =
      _mm512_xor_si512(_mm512_loadu_si512(bytes), _mm512_castsi128_si512(_mm_cvtsi32_si128((int)reg)));
  __m512i accumulator1 = _mm512_loadu_si512(bytes + 64);
  __m512i accumulator2 = _mm512_loadu_si512(bytes + 128);
  __m512i accumulator3 = _mm512_loadu_si512(bytes + 192);
  bytes += 256;
  length -= 256;
  while (length >= 256) {
    accumulator0 = fold_512(accumulator0, by_2048, _mm512_loadu_si512(bytes));
    accumulator1 = fold_512(accumulator1, by_2048, _mm512_loadu_si512(bytes + 64));
    accumulator2 = fold_512(accumulator2, by_2048, _mm512_loadu_si512(bytes + 128));
    accumulator3 = fold_512(accumulator3, by_2048, _mm512_loadu_si512(bytes + 192));
    bytes += 256;
    length -= 256;
  }
  accumulator1 = fold_512(accumulator0, by_512, accumulator1);
  accumulator2 = fold_512(accumulator1, by_512, accumulator2);
  accumulator3 = fold_512(accumulator2, by_512, accumulator3);
  while (length >= 64) {
    accumulator3 = fold_512(accumulator3, by_512, _mm512_loadu_si512(bytes));
    bytes += 64;
    length -= 64;
  }
  return hardware_register(fold_reduce(accumulator3), bytes, length);
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
  x_to_8_times_2_to[0] = power_of_x(8);
  for (int k = 1; k < 64; k++) {
    x_to_8_times_2_to[k] = multiply_modulo(x_to_8_times_2_to[k - 1], x_to_8_times_2_to[k - 1]);
  }
#ifdef HARDWARE_METHOD
  if (hardware_available()) {
    best_register = hardware_register;
    best_method = HARDWARE_METHOD;
#ifdef FOLD_METHOD
    build_fold_multipliers();
    if (fold_available()) {
      best_register = fold_register;
      best_method = FOLD_METHOD;
    }
#endif
  }
#endif
}

_Static_assert((LANE_LONG_BYTES & (LANE_LONG_BYTES - 1)) == 0, "lane lengths are powers of two");
_Static_assert((LANE_MEDIUM_BYTES & (LANE_MEDIUM_BYTES - 1)) == 0, "lane lengths are powers of two");
_Static_assert((LANE_SHORT_BYTES & (LANE_SHORT_BYTES - 1)) == 0, "lane lengths are powers of two");

void crc32c_init(void) { pthread_once(&init_once, build_tables); }

uint32_t crc32c_update(uint32_t crc, const uint8_t *bytes, size_t length) {
  return ~best_register(~crc, bytes, length);
}

uint32_t crc32c_update_table(uint32_t crc, const uint8_t *bytes, size_t length) {
  return ~table_register(~crc, bytes, length);
}

uint32_t crc32c_update_instruction(uint32_t crc, const uint8_t *bytes, size_t length) {
#ifdef HARDWARE_METHOD
  if (best_register != table_register) return ~hardware_register(~crc, bytes, length);
#endif
  return ~table_register(~crc, bytes, length);
}

uint32_t crc32c_register_update(uint32_t reg, const uint8_t *bytes, size_t length) {
  return best_register(reg, bytes, length);
}

uint32_t crc32c_register_shift(uint32_t reg, uint64_t zero_bytes) {
  for (int k = 0; zero_bytes != 0; k++, zero_bytes >>= 1) {
    if (zero_bytes & 1) reg = multiply_modulo(x_to_8_times_2_to[k], reg);
  }
  return reg;
}

const char *crc32c_method(void) { return best_method; }
