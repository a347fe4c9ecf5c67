import type { SystemId } from '../options.js';
import type { BenchReport, RawCell, SystemRun } from '../results.js';
import { SYSTEMS } from '../systems.js';

/**
 * A run's raw results built from per-round figures, for the report tests: each round produced and
 * consumed `records` records taking `records / rate` seconds, and its latency run saw the given p99.
 */
export function syntheticRun(
  id: SystemId,
  perSize: Record<number, { produce: number[]; consume: number[]; p99Ms: number[]; achieved?: number }>,
  records = 1_000_000,
): SystemRun {
  const cells: Record<string, RawCell> = {};
  for (const [size, figures] of Object.entries(perSize)) {
    const throughput = (rate: number) => ({
      records,
      bytes: records * Number(size),
      elapsedMs: (records / rate) * 1000,
    });
    cells[size] = {
      produce: figures.produce.map(throughput),
      consume: figures.consume.map(throughput),
      latency: {
        '50000': figures.p99Ms.map((p99Ms) => ({
          paced: { sent: 300_000, sendingMs: 6_000, achievedRate: figures.achieved ?? 50_000 },
          latency: {
            received: 300_000,
            measured: 250_000,
            p50Ms: p99Ms / 4,
            p99Ms,
            p999Ms: p99Ms * 2,
            maxMs: p99Ms * 3,
          },
        })),
      },
      failures: [],
    };
  }
  const description = SYSTEMS[id];
  return {
    id,
    label: description.label,
    client: description.client,
    clientVersion: '1.0.0',
    serverVersion: '1.0.0',
    settings: description.settings,
    durability: description.durability,
    cells,
  };
}

export function syntheticReport(systems: SystemRun[]): BenchReport {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:30:00.000Z',
    machine: {
      cpuModel: 'Test CPU <x>',
      cores: 2,
      memoryGiB: 24,
      node: 'v20.0.0',
      kernel: '6.1',
      loadAtStart: [0.5, 0.4, 0.3],
      loadAtEnd: [0.6, 0.5, 0.4],
    },
    rerun: 'pnpm --filter @sluice/bench bench',
    options: {
      records: 1_000_000,
      sizesBytes: [100, 1024],
      rounds: 3,
      ratesPerSecond: [50_000],
      latencySeconds: 5,
      seed: 1,
      quick: false,
    },
    tools: { node: 'v20.0.0' },
    ceilingSamples: [],
    systems,
    profiles: [],
    notes: [],
  };
}
