/**
 * The peer benchmark: Sluice (its own client, and librdkafka's rdkafka_performance) beside RabbitMQ,
 * NATS JetStream and Redis Streams, driven by their standard Node clients, with the machine's ceilings, all
 * in one run on this machine. Writes a terminal table, JSON, a markdown report and an SVG chart.
 *
 *   pnpm --filter @sluice/bench bench [-- --quick] [-- --help for every flag]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIBRDKAFKA_TOOLS_DIRECTORY, rdkafkaPerformancePath } from '@sluice/test-support';
import { measureCeilings } from './ceilings.js';
import { mainThreadProfile, summarizeCpuProfileFile } from './cpu-profile.js';
import { type DebianProgram, installMissing, PROGRAMS, programInstalled } from './debian.js';
import { currentLoad, debianPackageVersion, describeMachine } from './machine.js';
import { type BenchOptions, parseOptions, rerunCommand, USAGE } from './options.js';
import { stopAllStarted } from './processes.js';
import { librdkafkaVersion } from './rdkafka-performance.js';
import { renderMarkdownReport } from './report/markdown-report.js';
import { ceilingTable, latencyTable, targetTable, throughputTable } from './report/summary-tables.js';
import { renderSvgChart } from './report/svg-chart.js';
import type { BenchReport, SystemRun } from './results.js';
import { emptyCell, measureThroughput, type RunContext, runSystemRound } from './runner.js';
import { NATS_JETSTREAM_MINIMUM_VERSION, versionAtLeast } from './servers/nats-server.js';
import { brokerMainPath, brokerVersion, startSluiceServer } from './servers/sluice-server.js';
import { SYSTEMS } from './systems.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPOSITORY_DIR = join(PACKAGE_DIR, '..', '..');
const REPORT_NAME = 'peer-bench';

function write(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function npmVersion(name: string): string {
  const path = join(PACKAGE_DIR, 'node_modules', name, 'package.json');
  return existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
    : 'unknown';
}

/**
 * The commit measured, and which packages had uncommitted changes then (other work in the same checkout
 * changes what is measured).
 */
function checkoutState(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: REPOSITORY_DIR, encoding: 'utf8' }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const changed = new Set(
      git('status', '--porcelain', '--', 'apps', 'packages')
        .split('\n')
        .filter(Boolean)
        .map((line) => line.slice(3).split('/').slice(0, 2).join('/')),
    );
    return changed.size ? `${commit} with uncommitted changes in ${[...changed].sort().join(', ')}` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** Builds the broker and the client (and what they depend on) when their dist/ is missing. */
function ensureBuilt(): void {
  const clientDist = join(REPOSITORY_DIR, 'packages', 'client', 'dist', 'index.js');
  if (existsSync(brokerMainPath()) && existsSync(clientDist)) return;
  write('building @sluice/broker, @sluice/client and their dependencies');
  execFileSync('pnpm', ['--filter', '@sluice/bench^...', 'run', 'build'], {
    cwd: REPOSITORY_DIR,
    stdio: 'inherit',
  });
}

async function prepareSystems(options: BenchOptions, report: BenchReport): Promise<void> {
  const needed: DebianProgram[] = [PROGRAMS.kcat, PROGRAMS.iperf3, PROGRAMS.fio];
  if (options.systems.includes('rabbitmq')) needed.push(PROGRAMS.rabbitmq);
  if (options.systems.includes('nats')) needed.push(PROGRAMS.nats);
  if (options.systems.includes('redis')) needed.push(PROGRAMS.redis);
  const failures = options.install ? await installMissing(needed) : new Map<string, string>();
  for (const program of needed) {
    if (!(await programInstalled(program)) && !failures.has(program.debianPackage))
      failures.set(program.debianPackage, 'not installed (--no-install)');
  }
  for (const [name, why] of failures) report.notes.push(`${name}: ${why}`);
  for (const id of options.systems) {
    const description = SYSTEMS[id];
    const serverPackage = { rabbitmq: 'rabbitmq-server', nats: 'nats-server', redis: 'redis-server' }[
      id as string
    ];
    const serverVersion = serverPackage
      ? (debianPackageVersion(serverPackage) ?? 'not installed')
      : `${brokerVersion()} (this checkout)`;
    const system: SystemRun = {
      id,
      label: description.label,
      client: description.client,
      clientVersion:
        description.clientPackage !== null
          ? npmVersion(description.clientPackage)
          : id === 'sluice'
            ? `${brokerVersion()} (this checkout)`
            : '',
      serverVersion,
      settings: description.settings,
      durability: description.durability,
      cells: Object.fromEntries(
        options.sizesBytes.map((size) => [String(size), emptyCell(options.ratesPerSecond)]),
      ),
    };
    if (serverPackage && failures.has(serverPackage)) system.skipped = failures.get(serverPackage);
    if (id === 'nats' && !system.skipped && !versionAtLeast(serverVersion, NATS_JETSTREAM_MINIMUM_VERSION))
      system.skipped = `nats-server ${serverVersion} is older than 2.2.0, which JetStream needs`;
    if (id === 'sluice-rdkafka' && failures.has('kcat')) system.skipped = failures.get('kcat');
    report.systems.push(system);
  }
}

async function profilePass(context: RunContext, report: BenchReport): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-bench-profile-'));
  const size = context.options.sizesBytes[0];
  const system = report.systems.find((entry) => entry.id === 'sluice');
  if (!system) return;
  write(`profiling: Sluice broker and client, ${size}-byte records (untimed)`);
  try {
    const server = await startSluiceServer({ cpuProfileDir: directory });
    try {
      await measureThroughput({ ...context, cpuProfileDir: directory }, system, server, size, 'profile');
    } finally {
      await server.stop();
    }
    const records = formatCount(context.options.records);
    const entries: [string | null, string, string][] = [
      [
        join(directory, 'broker.cpuprofile'),
        'broker.cpuprofile',
        `broker, while ${records} ${size}-byte records were produced and then consumed`,
      ],
      [
        mainThreadProfile(join(directory, `client-produce-${size}`)),
        'the producer process profile',
        `Sluice producer (client process), ${records} records`,
      ],
      [
        mainThreadProfile(join(directory, `client-consume-${size}`)),
        'the consumer process profile',
        `Sluice consumer (client process), ${records} records`,
      ],
    ];
    for (const [path, name, what] of entries) {
      if (path && existsSync(path))
        report.profiles.push({ what, summary: summarizeCpuProfileFile(path, 12) });
      else report.notes.push(`${name} was not written`);
    }
  } catch (error) {
    report.notes.push(`the profiling pass failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

async function main(): Promise<void> {
  const parsed = parseOptions(
    process.argv.slice(2),
    join(PACKAGE_DIR, 'results'),
    LIBRDKAFKA_TOOLS_DIRECTORY,
  );
  if (parsed === 'help') {
    write(USAGE);
    return;
  }
  const options = parsed;
  const outDir =
    options.quick && !process.argv.includes('--out') ? join(options.outDir, 'quick') : options.outDir;
  if (options.renderFrom) {
    const saved = JSON.parse(readFileSync(options.renderFrom, 'utf8')) as BenchReport;
    writeReports(saved, outDir);
    printTables(saved, outDir);
    return;
  }
  ensureBuilt();
  const machine = describeMachine();
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    machine,
    rerun: rerunCommand(options),
    options: {
      records: options.records,
      sizesBytes: options.sizesBytes,
      rounds: options.rounds,
      ratesPerSecond: options.ratesPerSecond,
      latencySeconds: options.latencySeconds,
      seed: options.seed,
      quick: options.quick,
    },
    tools: {},
    ceilingSamples: [],
    systems: [],
    profiles: [],
    notes: [],
  };
  write(`# Sluice peer benchmark${options.quick ? ' (quick)' : ''}`);
  write(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, load ${machine.loadAtStart.join(' ')}`,
  );
  write(`rerun: ${report.rerun}`);
  await prepareSystems(options, report);
  const rdkafkaBinary = report.systems.some((system) => system.id === 'sluice-rdkafka' && !system.skipped)
    ? rdkafkaPerformancePath(options.toolsDir)
    : null;
  Object.assign(report.tools, {
    node: machine.node,
    'Sluice broker': brokerVersion(),
    checkout: checkoutState(),
    ...(rdkafkaBinary ? { librdkafka: librdkafkaVersion() } : {}),
    'rabbitmq-server': debianPackageVersion('rabbitmq-server') ?? '–',
    erlang: debianPackageVersion('erlang-base') ?? '–',
    'nats-server': debianPackageVersion('nats-server') ?? '–',
    'redis-server': debianPackageVersion('redis-server') ?? '–',
    amqplib: npmVersion('amqplib'),
    nats: npmVersion('nats'),
    ioredis: npmVersion('ioredis'),
    iperf3: debianPackageVersion('iperf3') ?? '–',
    fio: debianPackageVersion('fio') ?? '–',
  });
  for (const system of report.systems)
    if (system.skipped) write(`skipping ${system.label}: ${system.skipped}`);
  const context: RunContext = { options, rdkafkaBinary, log: write };
  const haveIperf3 = await programInstalled(PROGRAMS.iperf3);
  const haveFio = await programInstalled(PROGRAMS.fio);
  const active = report.systems.filter((system) => !system.skipped);
  for (let round = 1; round <= options.rounds; round++) {
    write(`round ${round} of ${options.rounds} (load ${currentLoad().join(' ')})`);
    if (options.ceilings) {
      const sample = await measureCeilings(options.ceilingBytes, haveIperf3, haveFio);
      report.ceilingSamples.push(sample);
      write(
        `  ceilings: iperf3 ${sample.loopbackTcpMBps?.toFixed(0) ?? '–'} MB/s, fio ${sample.diskWriteMBps?.toFixed(0) ?? '–'} MB/s, Node socket ${sample.nodeSocketMBps.toFixed(0)} MB/s, Node file append ${sample.nodeFileAppendMBps.toFixed(0)} MB/s`,
      );
    }
    // Each round starts with a different system, so a noisy stretch of time does not always hit the same one.
    for (let i = 0; i < active.length; i++)
      await runSystemRound(context, active[(i + round - 1) % active.length], round);
  }
  if (options.profile) await profilePass(context, report);
  machine.loadAtEnd = currentLoad();
  report.finishedAt = new Date().toISOString();

  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${REPORT_NAME}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeReports(report, outDir);
  printTables(report, outDir);
}

/** The markdown report and the chart beside the JSON. */
function writeReports(report: BenchReport, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  const chartFile = `${REPORT_NAME}.svg`;
  writeFileSync(join(outDir, chartFile), renderSvgChart(report));
  writeFileSync(join(outDir, `${REPORT_NAME}.md`), renderMarkdownReport(report, chartFile));
}

function printTables(report: BenchReport, outDir: string): void {
  write();
  write(throughputTable(report, 'terminal'));
  write();
  write(latencyTable(report, 'terminal'));
  if (report.ceilingSamples.length) {
    write();
    write(ceilingTable(report, 'terminal'));
  }
  write();
  write(targetTable(report, 'terminal'));
  write();
  write(`load average at the end: ${(report.machine.loadAtEnd ?? []).join(' ')}`);
  write(`reports: ${join(outDir, `${REPORT_NAME}.md`)}, .json, .svg`);
}

const stopSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
for (const signal of stopSignals) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the servers this benchmark started\n`);
    void stopAllStarted().finally(() => process.exit(130));
  });
}

main().then(
  async () => {
    await stopAllStarted();
  },
  async (error: unknown) => {
    console.error(error);
    await stopAllStarted();
    process.exit(1);
  },
);
