import { describe, expect, it } from 'vitest';
import { syntheticReport, syntheticRun } from './report/report-fixture.js';
import { checkTargets, describeCheck } from './targets.js';

const sluice = syntheticRun('sluice', {
  100: {
    produce: [800_000, 750_000, 900_000],
    consume: [2_500_000, 2_400_000, 2_600_000],
    p99Ms: [6, 7, 30],
  },
  1024: { produce: [300_000, 310_000, 320_000], consume: [900_000, 950_000, 1_000_000], p99Ms: [12, 14, 13] },
});
const redis = syntheticRun('redis', {
  100: { produce: [900_000, 950_000, 1_000_000], consume: [200_000, 210_000, 220_000], p99Ms: [2, 2, 2] },
  1024: { produce: [40_000, 41_000, 42_000], consume: [90_000, 91_000, 92_000], p99Ms: [3, 3, 3] },
});

describe('the targets', () => {
  const checks = checkTargets(syntheticReport([sluice, redis]).systems, [100, 1024]);
  const find = (target: string) => checks.find((check) => check.target === target)!;

  it('says by how much Sluice falls short of a throughput target, from the median of the rounds', () => {
    const produce = find('produce 100 B records');
    expect(produce.measured).toBeCloseTo(800_000);
    expect(produce.met).toBe(false);
    expect(describeCheck(produce)).toBe('short by 20% (0.80× the target)');
    const megabytes = find('produce 1 KiB records');
    expect(megabytes.measured).toBeCloseTo((310_000 * 1024) / 1e6);
    expect(megabytes.met).toBe(false);
  });

  it('marks a target met with its margin', () => {
    const consume = find('consume 100 B records');
    expect(consume.met).toBe(true);
    expect(describeCheck(consume)).toBe('met (1.25× the target)');
  });

  it('judges p99 latency by the median round, so one slow round does not decide it', () => {
    expect(find('p99 end-to-end at 50,000 records/s, 100 B').met).toBe(true);
    const large = find('p99 end-to-end at 50,000 records/s, 1024 B');
    expect(large.met).toBe(false);
    expect(describeCheck(large)).toBe('missed: 1.3× the limit');
  });

  it('compares Sluice with the best peer of each operation and size', () => {
    const produce = find('ahead of every peer: produce 100 B');
    expect(produce.goal).toBeCloseTo(950_000);
    expect(produce.met).toBe(false);
    expect(produce.note).toBe('best peer: Redis Streams');
    expect(find('ahead of every peer: consume 100 B').met).toBe(true);
  });

  it('does not count a latency run whose rate was not sustained as meeting the target', () => {
    const slow = syntheticRun('sluice', {
      100: { produce: [1], consume: [1], p99Ms: [1, 1, 1], achieved: 20_000 },
    });
    const [latency] = checkTargets([slow], [100]).filter((check) => check.unit === 'ms');
    expect(latency.met).toBe(false);
    expect(latency.note).toBe('the rate was not sustained');
  });
});
