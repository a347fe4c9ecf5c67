import { type Summary, summarize } from '@sluice/test-support';
import type { CeilingSample } from './ceilings.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { Machine } from './machine.js';
import type { SystemId } from './options.js';
import type { LatencyResult, PacedResult, ThroughputResult } from './workloads.js';

/** One latency run: what the pacer achieved and what the consumer saw. */
export interface LatencyRun {
  readonly paced: PacedResult;
  readonly latency: LatencyResult;
}

/** Every round's raw results for one system and record size; failures keep their message. */
export interface RawCell {
  readonly produce: ThroughputResult[];
  readonly consume: ThroughputResult[];
  /** By rate (records/s). */
  readonly latency: Record<string, LatencyRun[]>;
  readonly failures: string[];
}

export interface SystemRun {
  readonly id: SystemId;
  readonly label: string;
  readonly client: string;
  readonly clientVersion: string;
  readonly serverVersion: string;
  readonly settings: string;
  readonly durability: string;
  /** Why the system was not measured, when it was not. */
  skipped?: string;
  /** By record size in bytes. */
  readonly cells: Record<string, RawCell>;
}

export interface LatencyFigures {
  readonly ratePerSecond: number;
  readonly p50Ms: Summary;
  readonly p99Ms: Summary;
  readonly p999Ms: Summary;
  readonly maxMs: Summary;
  readonly achievedRate: Summary;
  /** Every round reached at least SUSTAINED_SHARE of the asked rate. */
  readonly sustained: boolean;
}

export interface CellFigures {
  readonly produceRecordsPerSecond: Summary | null;
  readonly produceMBps: Summary | null;
  readonly consumeRecordsPerSecond: Summary | null;
  readonly consumeMBps: Summary | null;
  readonly latency: LatencyFigures[];
}

/** A paced run that reached this share of its rate counts as sustaining it. */
export const SUSTAINED_SHARE = 0.95;

export function cellFigures(cell: RawCell): CellFigures {
  const rates = (runs: ThroughputResult[]) =>
    runs.length ? summarize(runs.map((run) => run.records / (run.elapsedMs / 1000))) : null;
  const megabytes = (runs: ThroughputResult[]) =>
    runs.length ? summarize(runs.map((run) => run.bytes / 1e6 / (run.elapsedMs / 1000))) : null;
  const latency = Object.entries(cell.latency)
    .filter(([, runs]) => runs.length > 0)
    .map(([rate, runs]) => ({
      ratePerSecond: Number(rate),
      p50Ms: summarize(runs.map((run) => run.latency.p50Ms)),
      p99Ms: summarize(runs.map((run) => run.latency.p99Ms)),
      p999Ms: summarize(runs.map((run) => run.latency.p999Ms)),
      maxMs: summarize(runs.map((run) => run.latency.maxMs)),
      achievedRate: summarize(runs.map((run) => run.paced.achievedRate)),
      sustained: runs.every((run) => run.paced.achievedRate >= SUSTAINED_SHARE * Number(rate)),
    }))
    .sort((a, b) => b.ratePerSecond - a.ratePerSecond);
  return {
    produceRecordsPerSecond: rates(cell.produce),
    produceMBps: megabytes(cell.produce),
    consumeRecordsPerSecond: rates(cell.consume),
    consumeMBps: megabytes(cell.consume),
    latency,
  };
}

export interface CeilingFigures {
  readonly loopbackTcpMBps: Summary | null;
  readonly diskWriteMBps: Summary | null;
  readonly nodeSocketMBps: Summary | null;
  readonly nodeFileAppendMBps: Summary | null;
  readonly nodeFileAppendWithFsyncMBps: Summary | null;
}

export function ceilingFigures(samples: readonly CeilingSample[]): CeilingFigures {
  const pick = (key: keyof CeilingSample) => {
    const values = samples.map((sample) => sample[key]).filter((value): value is number => value !== null);
    return values.length ? summarize(values) : null;
  };
  return {
    loopbackTcpMBps: pick('loopbackTcpMBps'),
    diskWriteMBps: pick('diskWriteMBps'),
    nodeSocketMBps: pick('nodeSocketMBps'),
    nodeFileAppendMBps: pick('nodeFileAppendMBps'),
    nodeFileAppendWithFsyncMBps: pick('nodeFileAppendWithFsyncMBps'),
  };
}

export interface ProfileReport {
  /** What was profiled: e.g. "broker during produce of 100-byte records". */
  readonly what: string;
  readonly summary: ProfileSummary;
}

/** Everything a run measured: what the JSON holds and the other reports are made from. */
export interface BenchReport {
  readonly startedAt: string;
  finishedAt?: string;
  readonly machine: Machine;
  readonly rerun: string;
  readonly options: {
    readonly records: number;
    readonly sizesBytes: readonly number[];
    readonly rounds: number;
    readonly ratesPerSecond: readonly number[];
    readonly latencySeconds: number;
    readonly seed: number;
    readonly quick: boolean;
  };
  readonly tools: Record<string, string>;
  readonly ceilingSamples: CeilingSample[];
  readonly systems: SystemRun[];
  readonly profiles: ProfileReport[];
  readonly notes: string[];
}
