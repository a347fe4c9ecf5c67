import { parseArgs } from 'node:util';

export const SYSTEM_IDS = ['sluice', 'sluice-rdkafka', 'rabbitmq', 'nats', 'redis'] as const;
export type SystemId = (typeof SYSTEM_IDS)[number];

export interface BenchOptions {
  readonly records: number;
  readonly sizesBytes: readonly number[];
  readonly rounds: number;
  readonly systems: readonly SystemId[];
  /** Fixed rates of the latency runs, records/s. */
  readonly ratesPerSecond: readonly number[];
  /** Measured seconds of each latency run (after LATENCY_WARMUP_SECONDS). */
  readonly latencySeconds: number;
  readonly seed: number;
  readonly quick: boolean;
  readonly ceilings: boolean;
  /** Bytes each ceiling moves (fio, the raw Node socket writer and file appender). */
  readonly ceilingBytes: number;
  /** An extra, untimed Sluice pass with the broker and the client under node --cpu-prof. */
  readonly profile: boolean;
  readonly install: boolean;
  readonly outDir: string;
  readonly toolsDir: string;
  /** Only write the reports again from a run's JSON (after a change to the reports), measuring nothing. */
  readonly renderFrom: string | null;
}

/** The seconds at the start of each latency run whose records are not counted. */
export const LATENCY_WARMUP_SECONDS = 1;
/** Extra time a consume or latency run may take beyond what its size needs before it counts as failed. */
export const RUN_TIMEOUT_MS = 600_000;

export const DEFAULTS = {
  records: 1_000_000,
  sizes: '100,1024',
  rounds: 3,
  systems: SYSTEM_IDS.join(','),
  rates: '50000,10000',
  latencySeconds: 5,
  seed: 1,
  ceilingMiB: 1024,
} as const;

export const QUICK = {
  records: 20_000,
  rounds: 1,
  rates: '5000',
  latencySeconds: 1,
  ceilingMiB: 64,
} as const;

export const USAGE = `Usage: pnpm --filter @sluice/bench bench [-- options]

Measures Sluice beside RabbitMQ, NATS JetStream and Redis Streams on this machine, in one run, with the
machine's ceilings; writes a table, JSON, a markdown report and an SVG chart.

Options:
  --records N           records per produce/consume run (default ${DEFAULTS.records})
  --sizes B,B           record sizes in bytes (default ${DEFAULTS.sizes})
  --rounds N            rounds; figures are medians with min and max (default ${DEFAULTS.rounds}; 0 with --profile: only profile)
  --systems A,B         any of ${SYSTEM_IDS.join(', ')} (default all)
  --rates R,R           fixed rates of the latency runs, records/s (default ${DEFAULTS.rates})
  --latency-seconds S   measured seconds per latency run, after ${LATENCY_WARMUP_SECONDS} s of warm-up (default ${DEFAULTS.latencySeconds})
  --seed N              seed of the record values (default ${DEFAULTS.seed})
  --ceiling-mib N       MiB moved by fio and the raw Node writers (default ${DEFAULTS.ceilingMiB})
  --no-ceilings         skip iperf3, fio and the raw Node writers
  --profile             add an untimed Sluice pass under node --cpu-prof and summarise its hot functions
  --no-install          do not apt-get install missing servers (systems without one are skipped)
  --out DIR             where the reports go (default tooling/bench/results)
  --tools DIR           where rdkafka_performance is built (default $TMPDIR/sluice-librdkafka-tools)
  --render FILE.json    write the markdown report and chart again from a run's JSON, measuring nothing
  --quick               a smoke run: ${QUICK.records} records, ${QUICK.rounds} round, ${QUICK.rates}/s for ${QUICK.latencySeconds} s, ${QUICK.ceilingMiB} MiB ceilings
  --help                this text

Examples:
  pnpm --filter @sluice/bench bench
  pnpm --filter @sluice/bench bench -- --quick --systems sluice,redis --no-ceilings
  pnpm --filter @sluice/bench bench -- --records 200000 --rounds 5 --rates 50000 --profile`;

function list(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`--${name} must be a positive integer, not ${text}`);
  return value;
}

export function parseOptions(
  argv: readonly string[],
  defaultOutDir: string,
  defaultToolsDir: string,
): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv.filter((argument) => argument !== '--'),
    options: {
      records: { type: 'string' },
      sizes: { type: 'string' },
      rounds: { type: 'string' },
      systems: { type: 'string' },
      rates: { type: 'string' },
      'latency-seconds': { type: 'string' },
      seed: { type: 'string' },
      'ceiling-mib': { type: 'string' },
      'no-ceilings': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'no-install': { type: 'boolean', default: false },
      out: { type: 'string' },
      tools: { type: 'string' },
      quick: { type: 'boolean', default: false },
      render: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  const base = quick ? { ...DEFAULTS, ...QUICK } : DEFAULTS;
  const systems = list(values.systems ?? base.systems);
  for (const system of systems) {
    if (!(SYSTEM_IDS as readonly string[]).includes(system))
      throw new RangeError(`--systems: unknown system ${system} (choose from ${SYSTEM_IDS.join(', ')})`);
  }
  const sizesBytes = list(values.sizes ?? base.sizes).map((size) => positiveInteger('sizes', size));
  for (const size of sizesBytes) {
    if (size < 16)
      throw new RangeError(`--sizes: records must have at least 16 bytes (a latency stamp), not ${size}`);
  }
  return {
    records: positiveInteger('records', values.records ?? String(base.records)),
    sizesBytes,
    // 0 rounds measures nothing timed: with --profile, only the profiling pass runs.
    rounds: values.rounds === '0' ? 0 : positiveInteger('rounds', values.rounds ?? String(base.rounds)),
    systems: systems as SystemId[],
    ratesPerSecond: list(values.rates ?? base.rates).map((rate) => positiveInteger('rates', rate)),
    latencySeconds: positiveInteger(
      'latency-seconds',
      values['latency-seconds'] ?? String(base.latencySeconds),
    ),
    seed: positiveInteger('seed', values.seed ?? String(base.seed)),
    quick,
    ceilings: !values['no-ceilings'],
    ceilingBytes: positiveInteger('ceiling-mib', values['ceiling-mib'] ?? String(base.ceilingMiB)) * 2 ** 20,
    profile: values.profile ?? false,
    install: !values['no-install'],
    outDir: values.out ?? defaultOutDir,
    toolsDir: values.tools ?? defaultToolsDir,
    renderFrom: values.render ?? null,
  };
}

/** The command that reruns a run with these options. */
export function rerunCommand(options: BenchOptions): string {
  const flags = [
    `--records ${options.records}`,
    `--sizes ${options.sizesBytes.join(',')}`,
    `--rounds ${options.rounds}`,
    `--systems ${options.systems.join(',')}`,
    `--rates ${options.ratesPerSecond.join(',')}`,
    `--latency-seconds ${options.latencySeconds}`,
    `--seed ${options.seed}`,
    `--ceiling-mib ${options.ceilingBytes / 2 ** 20}`,
  ];
  if (!options.ceilings) flags.push('--no-ceilings');
  if (options.profile) flags.push('--profile');
  return `pnpm --filter @sluice/bench bench -- ${flags.join(' ')}`;
}
