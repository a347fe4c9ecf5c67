import { describe, expect, it } from 'vitest';
import { ThroughputThrottle } from './throughput-throttle.js';

describe('ThroughputThrottle', () => {
  it('lets records through at the rate over time, never ahead of it', () => {
    const throttle = new ThroughputThrottle(1_000, 10_000);
    expect(throttle.allowance(0, 10_000)).toBe(1);
    expect(throttle.allowance(1, 10_000)).toBe(0);
    expect(throttle.waitMs(1, 10_000)).toBe(1);
    expect(throttle.allowance(1, 10_500)).toBe(500);
    expect(throttle.allowance(501, 10_500)).toBe(0);
    expect(throttle.waitMs(501, 10_500)).toBe(1);
    // A sender that fell behind may catch up.
    expect(throttle.allowance(100, 11_000)).toBe(901);
  });

  it('does not hold anything back without a cap', () => {
    const throttle = new ThroughputThrottle(-1, 0);
    expect(throttle.capped).toBe(false);
    expect(throttle.allowance(1e9, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(throttle.waitMs(1e9, 0)).toBe(0);
  });
});
