import { seededRandom } from '@sluice/test-support';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './latency-histogram.js';

function exactPercentile(sorted: number[], percentile: number): number {
  return sorted[Math.max(1, Math.ceil((percentile / 100) * sorted.length)) - 1];
}

describe('LatencyHistogram', () => {
  it('reports percentiles within 1% of the exact ones for a long-tailed sample', () => {
    const random = seededRandom(7);
    const histogram = new LatencyHistogram();
    const samples: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      // Log-normal-ish: most around a millisecond, a tail to about a second.
      const valueUs = Math.round(Math.exp(7 + 2 * (random() + random() + random() - 1.5)));
      samples.push(valueUs);
      histogram.record(valueUs);
    }
    samples.sort((a, b) => a - b);
    for (const percentile of [50, 95, 99, 99.9]) {
      const exact = exactPercentile(samples, percentile);
      expect(Math.abs(histogram.percentileUs(percentile) - exact) / exact).toBeLessThan(0.01);
    }
    const summary = histogram.summary();
    expect(summary.count).toBe(200_000);
    expect(summary.maxMs).toBe(samples[samples.length - 1] / 1000);
    const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
    expect(summary.avgMs).toBeCloseTo(mean / 1000, 2);
  });

  it('counts small values exactly and weights samples recorded with a count', () => {
    const histogram = new LatencyHistogram();
    histogram.record(10, 98);
    histogram.record(200, 1);
    histogram.record(5_000, 1);
    expect(histogram.count).toBe(100);
    expect(histogram.percentileUs(50)).toBe(10);
    expect(histogram.percentileUs(98)).toBe(10);
    expect(histogram.percentileUs(99)).toBe(200);
    expect(histogram.percentileUs(100)).toBeGreaterThan(4_950);
    expect(histogram.percentileUs(100)).toBeLessThanOrEqual(5_000);
  });

  it('gives zeros when empty and clamps values beyond its range', () => {
    const histogram = new LatencyHistogram();
    expect(histogram.summary()).toEqual({
      count: 0,
      avgMs: 0,
      p50Ms: 0,
      p95Ms: 0,
      p99Ms: 0,
      p999Ms: 0,
      maxMs: 0,
    });
    histogram.record(-5);
    histogram.record(2 ** 40);
    expect(histogram.percentileUs(50)).toBe(0);
    expect(histogram.summary().maxMs).toBe((2 ** 32 - 1) / 1000);
  });
});
