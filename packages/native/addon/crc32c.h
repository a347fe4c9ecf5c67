/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka's record batch v2.
 *
 * crc32c_update continues a checksum: pass 0 to begin, or the value of an earlier call to continue
 * over the next piece. The result is the finished (inverted) CRC, as Kafka stores it.
 */
#ifndef SLUICE_CRC32C_H
#define SLUICE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Chooses the fastest method this CPU offers and builds the tables; safe to call more than once. */
void crc32c_init(void);

/* With the method crc32c_init chose. */
uint32_t crc32c_update(uint32_t crc, const uint8_t *bytes, size_t length);

/* With the portable slicing-by-8 table method, whatever the CPU offers. */
uint32_t crc32c_update_table(uint32_t crc, const uint8_t *bytes, size_t length);

/* With the crc32 instruction (three streams) where the CPU has it, even where folding was chosen; else
   the tables. For tests and benchmarks of the methods against each other. */
uint32_t crc32c_update_instruction(uint32_t crc, const uint8_t *bytes, size_t length);

/*
 * The same on the raw register (the finished CRC inverted, ~0 to begin), for callers that compute a range
 * in pieces and join them: crc32c_update(crc, ...) is ~crc32c_register_update(~crc, ...).
 */
uint32_t crc32c_register_update(uint32_t reg, const uint8_t *bytes, size_t length);

/*
 * What a run of `zero_bytes` zero bytes does to a register: the register over A then B is
 * crc32c_register_shift(register over A, length of B) ^ (register over B starting from 0). About a hundred
 * nanoseconds.
 */
uint32_t crc32c_register_shift(uint32_t reg, uint64_t zero_bytes);

/* "avx512-vpclmulqdq", "sse4.2", "armv8-crc" or "table": the method crc32c_update uses. */
const char *crc32c_method(void);

#endif
