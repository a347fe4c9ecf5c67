import { describe, expect, it } from 'vitest';
import { formatSummary, median, percentile, summarize } from './statistics.js';

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

  it('prints a summary as the median with the min and max beside it, in the digits asked for', () => {
    expect(formatSummary([1500.25, 1234.5, 2000], 'records/s', 0)).toBe(
      '1,500 records/s (min 1,235, max 2,000)',
    );
    expect(formatSummary([0.5, 0.25], 'ms', 2)).toBe('0.38 ms (min 0.25, max 0.50)');
  });
});
