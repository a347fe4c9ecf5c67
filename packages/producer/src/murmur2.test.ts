import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey, toPositive } from './murmur2.js';

/** kafkajs's JavaCompatiblePartitioner: an independent implementation of Kafka's keyed partitioning. */
const javaCompatible = Partitioners.JavaCompatiblePartitioner();

function kafkajsPartition(key: Buffer, partitionCount: number): number {
  return javaCompatible({
    topic: 't',
    partitionMetadata: Array.from({ length: partitionCount }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    })),
    message: { key, value: null },
  });
}

const KEYS: Buffer[] = [
  '',
  'a',
  'ab',
  'abc',
  'abcd',
  'abcde',
  'user-1',
  'user-2',
  'order:2024-11-26:0001',
  'customer/8f14e45f-ceea-467e-a1d4-0d2b5c3a4f11',
  'κλειδί',
  '鍵',
  '🔑 key with emoji',
  'a'.repeat(1000),
].map((text) => Buffer.from(text, 'utf8'));
KEYS.push(Buffer.from([0xff, 0xfe, 0x00, 0x80]), Buffer.from([0x80]), Buffer.alloc(7, 0xff));

describe('murmur2 keyed partitioning', () => {
  it("places a table of keys on the same partitions as kafkajs's JavaCompatiblePartitioner", () => {
    for (const partitionCount of [1, 2, 3, 5, 6, 10, 12, 31, 64, 100, 1000]) {
      const ours = KEYS.map((key) => partitionForKey(key, partitionCount));
      const theirs = KEYS.map((key) => kafkajsPartition(key, partitionCount));
      expect(ours).toEqual(theirs);
    }
  });

  it('agrees with kafkajs for random keys of every length and partition count', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 1, max: 10_000 }),
        (bytes, partitionCount) => {
          const key = Buffer.from(bytes);
          return partitionForKey(key, partitionCount) === kafkajsPartition(key, partitionCount);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("matches the hashes of Kafka's own murmur2 test vectors", () => {
    // From Kafka's UtilsTest.testMurmur2: the 32-bit hashes of these ASCII strings.
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [text, hash] of vectors) expect(murmur2(Buffer.from(text, 'ascii'))).toBe(hash);
  });

  it('clears the sign bit rather than taking the absolute value', () => {
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-1)).toBe(2147483647);
    expect(toPositive(5)).toBe(5);
  });
});
