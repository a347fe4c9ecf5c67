import { describe, expect, it } from 'vitest';
import { parseBenchFlags } from './bench-flags.js';

const DEFAULTS = { rounds: 3, records: 300_000, seed: 1, quickRecords: 20_000 };

describe('parseBenchFlags', () => {
  it('takes the defaults, and flags after the "--" pnpm passes', () => {
    expect(parseBenchFlags(DEFAULTS, {}, [])).toEqual({
      quick: false,
      rounds: 3,
      records: 300_000,
      seed: 1,
      extra: {},
    });
    expect(
      parseBenchFlags(DEFAULTS, {}, ['--', '--rounds', '5', '--records', '1000', '--seed', '9']),
    ).toEqual({
      quick: false,
      rounds: 5,
      records: 1000,
      seed: 9,
      extra: {},
    });
  });

  it('runs one round of the quick size with --quick, whatever --rounds and --records say', () => {
    const flags = parseBenchFlags(DEFAULTS, {}, ['--quick', '--rounds', '5', '--records', '1000']);
    expect(flags).toMatchObject({ quick: true, rounds: 1, records: 20_000 });
  });

  it("reads the benchmark's own flags, with their defaults", () => {
    const extra = { members: '1,10,50', readers: '1,3,6' };
    expect(parseBenchFlags(DEFAULTS, extra, ['--members', '2,4']).extra).toEqual({
      members: '2,4',
      readers: '1,3,6',
    });
  });

  it('refuses a flag it does not know', () => {
    expect(() => parseBenchFlags(DEFAULTS, {}, ['--recrods', '5'])).toThrow(/recrods/);
  });
});
