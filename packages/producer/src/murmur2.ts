/**
 * MurmurHash2 (32-bit), as Kafka's Java client computes it for keyed partitioning (Utils.murmur2): seed
 * 0x9747b28c, little-endian 4-byte blocks, and the tail mixed in before the final avalanche. Together with
 * `toPositive` (clear the sign bit) it maps a key to the same partition as every Java-compatible client:
 * partition = toPositive(murmur2(keyBytes)) % numPartitions.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= data[blocks + 2] << 16;
  if (tail >= 2) h ^= data[blocks + 1] << 8;
  if (tail >= 1) {
    h ^= data[blocks];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: the number with its sign bit cleared (not Math.abs, which differs at -2^31). */
export function toPositive(value: number): number {
  return value & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a key. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}
