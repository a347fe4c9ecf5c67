import { parseArgs } from 'node:util';

export interface BenchFlagDefaults {
  readonly rounds: number;
  readonly records: number;
  readonly seed: number;
  /** The records of a --quick run (one round): the size at which a test runs the benchmark. */
  readonly quickRecords: number;
}

export interface BenchFlags<Extra extends string> {
  readonly quick: boolean;
  readonly rounds: number;
  readonly records: number;
  readonly seed: number;
  /** The benchmark's own string flags, by name. */
  readonly extra: Readonly<Record<Extra, string>>;
}

/**
 * The flags of a client benchmark: --rounds, --records, --seed, --quick (one round of `quickRecords`
 * records), and `extra` string flags with their defaults. A "--" (as `pnpm bench -- ...` passes it) is
 * skipped; an unknown flag is refused.
 */
export function parseBenchFlags<Extra extends string = never>(
  defaults: BenchFlagDefaults,
  extra: Readonly<Record<Extra, string>> = {} as Record<Extra, string>,
  args: readonly string[] = process.argv.slice(2),
): BenchFlags<Extra> {
  const text = (value: string | number) => ({ type: 'string' as const, default: String(value) });
  const { values } = parseArgs({
    args: args.filter((argument) => argument !== '--'),
    options: {
      rounds: text(defaults.rounds),
      records: text(defaults.records),
      seed: text(defaults.seed),
      quick: { type: 'boolean', default: false },
      ...Object.fromEntries(Object.entries<string>(extra).map(([name, value]) => [name, text(value)])),
    },
  });
  const quick = values.quick === true;
  return {
    quick,
    rounds: quick ? 1 : Number(values.rounds),
    records: quick ? defaults.quickRecords : Number(values.records),
    seed: Number(values.seed),
    extra: Object.fromEntries(
      Object.keys(extra).map((name) => [name, String((values as Record<string, unknown>)[name])]),
    ) as Record<Extra, string>,
  };
}
