import { describe, expect, it } from 'vitest';
import { median, percentile, summarize } from './statistics.js';

describe('statistics', () => {
  it('takes the middle round as the median of an odd number of rounds, whatever their order', () => {
    expect(median([30, 10, 20])).toBe(20);
    expect(summarize([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, samples: [30, 10, 20] });
  });

  it('averages the two middle rounds of an even number', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('reads percentiles by nearest rank, so p99 of 1..1000 is 990 and p100 the maximum', () => {
    const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(500);
    expect(percentile(sorted, 0.99)).toBe(990);
    expect(percentile(sorted, 0.999)).toBe(999);
    expect(percentile(sorted, 1)).toBe(1000);
    expect(percentile(sorted, 0)).toBe(1);
  });

  it('refuses to summarise nothing rather than report a made-up figure', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => percentile([], 0.5)).toThrow(RangeError);
    expect(() => percentile([1], 1.5)).toThrow(RangeError);
  });
});
