import { type BenchReport, type CeilingFigures, ceilingFigures, cellFigures } from '../results.js';
import { checkTargets, describeCheck } from '../targets.js';
import { formatNumber, formatSummary, renderTable } from './table.js';

/** The tables every output shows: throughput, latency, ceilings and targets. */
export function throughputTable(report: BenchReport, style: 'markdown' | 'terminal'): string {
  const rows: string[][] = [];
  for (const size of report.options.sizesBytes) {
    for (const system of report.systems) {
      if (system.skipped) continue;
      const figures = cellFigures(system.cells[size]);
      rows.push([
        `${size} B`,
        system.label,
        formatSummary(figures.produceRecordsPerSecond),
        formatSummary(figures.produceMBps, 1),
        formatSummary(figures.consumeRecordsPerSecond),
        formatSummary(figures.consumeMBps, 1),
      ]);
    }
  }
  return renderTable(
    ['record', 'system', 'produce records/s', 'produce MB/s', 'consume records/s', 'consume MB/s'],
    rows,
    style,
  );
}

export function latencyTable(report: BenchReport, style: 'markdown' | 'terminal'): string {
  const rows: string[][] = [];
  for (const size of report.options.sizesBytes) {
    for (const system of report.systems) {
      if (system.skipped) continue;
      for (const latency of cellFigures(system.cells[size]).latency) {
        rows.push([
          `${size} B`,
          system.label,
          formatNumber(latency.ratePerSecond),
          `${formatSummary(latency.achievedRate)}${latency.sustained ? '' : ' (not sustained)'}`,
          formatSummary(latency.p50Ms, 2),
          formatSummary(latency.p99Ms, 2),
          formatSummary(latency.p999Ms, 2),
          formatSummary(latency.maxMs, 1),
        ]);
      }
    }
  }
  return renderTable(
    ['record', 'system', 'rate/s', 'achieved/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms'],
    rows,
    style,
  );
}

export function ceilingTable(report: BenchReport, style: 'markdown' | 'terminal'): string {
  const figures: CeilingFigures = ceilingFigures(report.ceilingSamples);
  const rows: [string, string][] = [
    ['loopback TCP (iperf3, 1 stream)', formatSummary(figures.loopbackTcpMBps)],
    ['sequential disk write (fio, 1 MiB blocks, fsync at end)', formatSummary(figures.diskWriteMBps)],
    ['raw Node socket writer → Node reader (1 MiB writes)', formatSummary(figures.nodeSocketMBps)],
    ['raw Node file appender (1 MiB writes, page cache)', formatSummary(figures.nodeFileAppendMBps)],
    ['raw Node file appender, with the final fsync', formatSummary(figures.nodeFileAppendWithFsyncMBps)],
  ];
  return renderTable(['ceiling', 'MB/s'], rows, style);
}

export function targetTable(report: BenchReport, style: 'markdown' | 'terminal'): string {
  const checks = checkTargets(report.systems, report.options.sizesBytes);
  const labels = new Map(report.systems.map((system) => [system.id, system.label]));
  const rows = checks.map((check) => [
    check.target,
    labels.get(check.system) ?? check.system,
    `${check.unit === 'ms' ? '≤' : '≥'} ${formatNumber(check.goal, check.unit === 'MB/s' ? 1 : 0)} ${check.unit}${check.note.startsWith('best peer') ? ` (${check.note})` : ''}`,
    check.measured === null
      ? '–'
      : `${formatNumber(check.measured, check.unit === 'records/s' ? 0 : 2)} ${check.unit}`,
    describeCheck(check),
  ]);
  return renderTable(['target', 'system', 'goal', 'measured (median)', 'result'], rows, style);
}
