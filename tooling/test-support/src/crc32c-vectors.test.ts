import { describe, expect, it } from 'vitest';
import { CRC32C_VECTORS } from './crc32c-vectors.js';

/** CRC-32C (Castagnoli, reflected polynomial 0x82f63b78) one bit at a time, as the catalogue defines it. */
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

describe('the CRC-32C test vectors', () => {
  for (const { name, bytes, crc } of CRC32C_VECTORS) {
    it(`hold the CRC-32C of ${name}`, () => {
      expect(crc32cBitwise(bytes)).toBe(crc);
    });
  }
});
