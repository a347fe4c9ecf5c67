import { describe, expect, it } from 'vitest';
import { groupPartition, javaStringHashCode, kafkaAbs } from './group-partitioner.js';

describe('groupPartition', () => {
  it("hashes group ids as Java's String.hashCode does", () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('Aa')).toBe(javaStringHashCode('BB'));
    // UTF-16 code units, as Java: an emoji is two surrogates.
    expect(javaStringHashCode('\u{1F600}')).toBe(0xd83d * 31 + 0xde00);
    // Overflow wraps in 32 bits.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
  });

  it("places a group with Kafka's Utils.abs, which maps Integer.MIN_VALUE to 0", () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-5)).toBe(5);
    expect(groupPartition('polygenelubricants', 50)).toBe(0);
    expect(groupPartition('hello', 50)).toBe(99162322 % 50);
    expect(groupPartition('my-group', 50)).toBe(Math.abs(javaStringHashCode('my-group')) % 50);
  });

  it('spreads many groups over every partition', () => {
    const counts = new Array(50).fill(0);
    for (let i = 0; i < 5000; i++) counts[groupPartition(`group-${i}`, 50)]++;
    expect(Math.min(...counts)).toBeGreaterThan(50);
  });
});
