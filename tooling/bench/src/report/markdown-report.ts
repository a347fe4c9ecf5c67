import type { SystemId } from '../options.js';
import { type BenchReport, cellFigures } from '../results.js';
import { ceilingTable, latencyTable, targetTable, throughputTable } from './summary-tables.js';
import { formatNumber, renderTable } from './table.js';

/** Sluice's median ÷ each peer's median, per operation and size (same run). */
export function ratioTable(report: BenchReport, sluiceId: SystemId): string {
  const sluice = report.systems.find((system) => system.id === sluiceId && !system.skipped);
  if (!sluice) return '';
  const peers = report.systems.filter(
    (system) => ['rabbitmq', 'nats', 'redis'].includes(system.id) && !system.skipped,
  );
  const rows: string[][] = [];
  for (const size of report.options.sizesBytes) {
    const own = cellFigures(sluice.cells[size]);
    for (const operation of ['produce', 'consume'] as const) {
      const key = operation === 'produce' ? 'produceRecordsPerSecond' : 'consumeRecordsPerSecond';
      rows.push([
        `${operation} ${size} B`,
        ...peers.map((peer) => {
          const theirs = cellFigures(peer.cells[size])[key]?.median;
          const mine = own[key]?.median;
          return theirs && mine ? `${(mine / theirs).toFixed(2)}×` : '–';
        }),
      ]);
    }
  }
  return renderTable(['', ...peers.map((peer) => `÷ ${peer.label}`)], rows, 'markdown');
}

export function renderMarkdownReport(report: BenchReport, chartFile: string): string {
  const machine = report.machine;
  const lines: string[] = [];
  const add = (...more: string[]) => lines.push(...more);
  add(
    `# Sluice and its peers: one run on one machine${report.options.quick ? ' (quick smoke run)' : ''}`,
    '',
  );
  add(
    `- when: ${report.startedAt} to ${report.finishedAt ?? '?'}`,
    `- machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, node ${machine.node}`,
    `- load average (1, 5, 15 min): ${machine.loadAtStart.join(' ')} at the start, ${(machine.loadAtEnd ?? []).join(' ')} at the end (the machine is shared)`,
    `- rerun: \`${report.rerun}\``,
    `- ${formatNumber(report.options.records)} records per produce/consume run, records of ${report.options.sizesBytes.join(' and ')} bytes (seeded random bytes, seed ${report.options.seed}), ${report.options.rounds} round${report.options.rounds === 1 ? '' : 's'}; each figure is the median of the rounds with (min–max)`,
    `- latency: ${report.options.latencySeconds} s at each fixed rate (${report.options.ratesPerSecond.map((rate) => formatNumber(rate)).join(' and ')} records/s) after 1 s of warm-up that is not counted`,
    `- versions: ${Object.entries(report.tools)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}`,
    '',
    `![chart](${chartFile})`,
    '',
  );
  add('## Targets (Sluice, one broker, acks=1)', '', targetTable(report, 'markdown'), '');
  add('## Throughput', '', throughputTable(report, 'markdown'), '');
  for (const id of ['sluice', 'sluice-rdkafka'] as const) {
    const table = ratioTable(report, id);
    const label = report.systems.find((system) => system.id === id)?.label;
    if (table) add(`${label} ÷ each peer (records/s, medians; above 1× Sluice is ahead):`, '', table, '');
  }
  add('## End-to-end latency at a fixed rate', '', latencyTable(report, 'markdown'), '');
  add(
    'Latency is the time from a record being handed to the producing client (its send time is stamped into the record, on the machine\'s monotonic clock) to it being handed to the consuming client, in another process. "Not sustained": the producer could not hand records over at the asked rate (below 95% of it) because the system\'s acknowledgements held it back.',
    '',
  );
  if (report.ceilingSamples.length)
    add("## The machine's ceilings (same run)", '', ceilingTable(report, 'markdown'), '');
  add('## How each system was run, and what an acknowledgement guarantees', '');
  for (const system of report.systems) {
    add(
      `- **${system.label}** (server ${system.serverVersion}; client ${system.client} ${system.clientVersion})${system.skipped ? `: skipped: ${system.skipped}` : ''}`,
    );
    add(`  - settings: ${system.settings}`);
    add(`  - durability: ${system.durability}`);
  }
  add(
    '',
    'Every server ran on 127.0.0.1 with a fresh data directory and a configuration written by the harness, was started once per round per system, and was stopped by the harness (it stops only processes it started). Each workload ran in a fresh Node process (one producer, one consumer); the Node clients send 1,000 records per call with up to 32 calls awaiting acknowledgement.',
    '',
  );
  const failures = report.systems.flatMap((system) =>
    Object.entries(system.cells).flatMap(([size, cell]) =>
      cell.failures.map((failure) => `${system.label}, ${size} B, ${failure}`),
    ),
  );
  if (failures.length) add('## Failures', '', ...failures.map((failure) => `- ${failure}`), '');
  if (report.profiles.length) {
    add('## Where the time goes (node --cpu-prof, an extra untimed Sluice pass)', '');
    for (const profile of report.profiles) {
      const busy = profile.summary.totalMs - profile.summary.idleMs;
      add(
        `**${profile.what}**: ${formatNumber(busy)} ms busy of ${formatNumber(profile.summary.totalMs)} ms profiled. Top self time:`,
        '',
        renderTable(
          ['function', 'self ms', 'share of busy'],
          profile.summary.top.map((entry) => [
            `\`${entry.location}\``,
            formatNumber(entry.selfMs),
            `${(entry.selfShare * 100).toFixed(1)}%`,
          ]),
          'markdown',
        ),
        '',
      );
    }
  }
  if (report.notes.length) add('## Notes', '', ...report.notes.map((note) => `- ${note}`), '');
  return `${lines.join('\n')}\n`;
}
