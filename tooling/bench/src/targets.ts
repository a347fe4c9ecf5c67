import type { SystemId } from './options.js';
import { type CellFigures, cellFigures, type SystemRun } from './results.js';

/** Issue 7's targets for Sluice (one broker, this 2-core machine, acks=1). */
export const TARGETS = {
  produce100RecordsPerSecond: 1_000_000,
  consume100RecordsPerSecond: 2_000_000,
  produce1KiBMBps: 400,
  latencyRatePerSecond: 50_000,
  latencyP99Ms: 10,
} as const;

export interface TargetCheck {
  readonly target: string;
  readonly system: SystemId;
  /** The median measured, in the target's unit; null when not measured. */
  readonly measured: number | null;
  readonly goal: number;
  readonly unit: string;
  readonly met: boolean | null;
  /** measured ÷ goal for throughput (≥ 1 meets it), goal ÷ measured for latency. */
  readonly ratio: number | null;
  readonly note: string;
}

const SLUICE_IDS: readonly SystemId[] = ['sluice', 'sluice-rdkafka'];
const PEER_IDS: readonly SystemId[] = ['rabbitmq', 'nats', 'redis'];

function figures(system: SystemRun, size: number): CellFigures | null {
  const cell = system.cells[size];
  return cell ? cellFigures(cell) : null;
}

function atLeast(
  target: string,
  system: SystemId,
  measured: number | null,
  goal: number,
  unit: string,
  note = '',
): TargetCheck {
  return {
    target,
    system,
    measured,
    goal,
    unit,
    met: measured === null ? null : measured >= goal,
    ratio: measured === null ? null : measured / goal,
    note,
  };
}

/** Each target, for Sluice with each of its clients; "ahead of every peer" per operation and size. */
export function checkTargets(systems: readonly SystemRun[], sizes: readonly number[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const peers = systems.filter((system) => PEER_IDS.includes(system.id) && !system.skipped);
  for (const sluice of systems.filter((system) => SLUICE_IDS.includes(system.id) && !system.skipped)) {
    const small = sizes.includes(100) ? figures(sluice, 100) : null;
    const large = sizes.includes(1024) ? figures(sluice, 1024) : null;
    if (small) {
      checks.push(
        atLeast(
          'produce 100 B records',
          sluice.id,
          small.produceRecordsPerSecond?.median ?? null,
          TARGETS.produce100RecordsPerSecond,
          'records/s',
        ),
        atLeast(
          'consume 100 B records',
          sluice.id,
          small.consumeRecordsPerSecond?.median ?? null,
          TARGETS.consume100RecordsPerSecond,
          'records/s',
        ),
      );
    }
    if (large) {
      checks.push(
        atLeast(
          'produce 1 KiB records',
          sluice.id,
          large.produceMBps?.median ?? null,
          TARGETS.produce1KiBMBps,
          'MB/s',
        ),
      );
    }
    for (const size of sizes) {
      const cell = figures(sluice, size);
      const latency = cell?.latency.find((entry) => entry.ratePerSecond === TARGETS.latencyRatePerSecond);
      if (!cell) continue;
      const p99 = latency?.p99Ms.median ?? null;
      checks.push({
        target: `p99 end-to-end at 50,000 records/s, ${size} B`,
        system: sluice.id,
        measured: p99,
        goal: TARGETS.latencyP99Ms,
        unit: 'ms',
        met: p99 === null ? null : p99 <= TARGETS.latencyP99Ms && (latency?.sustained ?? false),
        ratio: p99 === null ? null : TARGETS.latencyP99Ms / p99,
        note: latency && !latency.sustained ? 'the rate was not sustained' : '',
      });
      for (const operation of ['produce', 'consume'] as const) {
        const key = operation === 'produce' ? 'produceRecordsPerSecond' : 'consumeRecordsPerSecond';
        const own = cell[key]?.median ?? null;
        let best: { label: string; value: number } | null = null;
        for (const peer of peers) {
          const value = figures(peer, size)?.[key]?.median;
          if (value !== undefined && (best === null || value > best.value))
            best = { label: peer.label, value };
        }
        if (!best) continue;
        checks.push(
          atLeast(
            `ahead of every peer: ${operation} ${size} B`,
            sluice.id,
            own,
            best.value,
            'records/s',
            `best peer: ${best.label}`,
          ),
        );
      }
    }
  }
  return checks;
}

/** "met (1.23× the target)" or "short by 37% (0.63× the target)". */
export function describeCheck(check: TargetCheck): string {
  if (check.met === null || check.ratio === null) return 'not measured';
  if (check.met) return `met (${check.ratio.toFixed(2)}× the target)`;
  if (check.unit === 'ms')
    return `missed: ${(1 / check.ratio).toFixed(1)}× the limit${check.note ? ` (${check.note})` : ''}`;
  return `short by ${((1 - check.ratio) * 100).toFixed(0)}% (${check.ratio.toFixed(2)}× the target)`;
}
