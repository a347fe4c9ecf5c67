import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseOptions, QUICK, rerunCommand } from './options.js';

const parse = (...argv: string[]) => parseOptions(argv, '/out', '/tools');

describe('options', () => {
  it('measures every system with 1M records of 100 B and 1 KiB over 3 rounds by default', () => {
    const options = parse();
    if (options === 'help') throw new Error('unexpected help');
    expect(options.records).toBe(DEFAULTS.records);
    expect(options.sizesBytes).toEqual([100, 1024]);
    expect(options.rounds).toBe(3);
    expect(options.systems).toEqual(['sluice', 'sluice-rdkafka', 'rabbitmq', 'nats', 'redis']);
    expect(options.ratesPerSecond).toEqual([50_000, 10_000]);
    expect(options.ceilings).toBe(true);
  });

  it('makes --quick a small smoke run that explicit flags still override', () => {
    const options = parse('--quick', '--systems', 'sluice,redis', '--rounds', '2');
    if (options === 'help') throw new Error('unexpected help');
    expect(options.records).toBe(QUICK.records);
    expect(options.rounds).toBe(2);
    expect(options.systems).toEqual(['sluice', 'redis']);
    expect(options.ceilingBytes).toBe(QUICK.ceilingMiB * 2 ** 20);
  });

  it('accepts the -- that pnpm passes through, and prints the command that reruns the same run', () => {
    const options = parse('--', '--records', '5000', '--no-ceilings', '--rates', '1000');
    if (options === 'help') throw new Error('unexpected help');
    const again = parse(...rerunCommand(options).split(' ').slice(5));
    expect(again).toEqual(options);
  });

  it('names the flag and the choices when a value is wrong', () => {
    expect(() => parse('--systems', 'sluice,kafka')).toThrow(/unknown system kafka .*rabbitmq/);
    expect(() => parse('--records', '0')).toThrow(/--records must be a positive integer/);
    expect(() => parse('--sizes', '8')).toThrow(/at least 16 bytes/);
    expect(() => parse('--frobnicate')).toThrow();
    expect(parse('--help')).toBe('help');
  });
});
