import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDriver } from './driver-process.js';
import type { DriverSystem } from './drivers/client-driver.js';
import { type BenchOptions, LATENCY_WARMUP_SECONDS, RUN_TIMEOUT_MS, type SystemId } from './options.js';
import { removeTrackedDirectory, sleep, trackDirectory } from './processes.js';
import { kcatLatency, rdkafkaConsume, rdkafkaProduce } from './rdkafka-performance.js';
import type { LatencyRun, RawCell, SystemRun } from './results.js';
import { startNatsServer } from './servers/nats-server.js';
import { startRabbitmqServer } from './servers/rabbitmq-server.js';
import { startRedisServer } from './servers/redis-server.js';
import type { RunningServer } from './servers/server.js';
import { startSluiceServer } from './servers/sluice-server.js';
import { SYSTEMS } from './systems.js';
import type { LatencyResult, PacedResult, ThroughputResult } from './workloads.js';

/** Time the latency consumer gets to settle after saying it reads, before the producer starts. */
const CONSUMER_SETTLE_MS = 500;

export function startServer(id: SystemId, cpuProfileDir?: string): Promise<RunningServer> {
  switch (id) {
    case 'sluice':
    case 'sluice-rdkafka':
      return startSluiceServer({ cpuProfileDir });
    case 'rabbitmq':
      return startRabbitmqServer();
    case 'nats':
      return startNatsServer();
    case 'redis':
      return startRedisServer();
  }
}

export function emptyCell(rates: readonly number[]): RawCell {
  return {
    produce: [],
    consume: [],
    latency: Object.fromEntries(rates.map((rate) => [String(rate), []])),
    failures: [],
  };
}

export interface RunContext {
  readonly options: BenchOptions;
  readonly rdkafkaBinary: string | null;
  readonly log: (line: string) => void;
  /** Profile the Node drivers into this directory (the profiling pass). */
  readonly cpuProfileDir?: string;
}

function consumeTimeoutMs(records: number): number {
  return RUN_TIMEOUT_MS + records / 10;
}

/** Produce and consume `records` records of `recordBytes` on a fresh destination. */
export async function measureThroughput(
  context: RunContext,
  system: SystemRun,
  server: RunningServer,
  recordBytes: number,
  destination: string,
): Promise<{ produce: ThroughputResult; consume: ThroughputResult }> {
  const { options } = context;
  if (system.id === 'sluice-rdkafka') {
    const binary = context.rdkafkaBinary!;
    const produce = await rdkafkaProduce(binary, server.endpoint, destination, options.records, recordBytes);
    const consume = await rdkafkaConsume(binary, server.endpoint, destination, options.records, recordBytes);
    return { produce, consume };
  }
  const driverSystem = SYSTEMS[system.id].driver as DriverSystem;
  const profile = (name: string) =>
    context.cpuProfileDir
      ? { cpuProfileDir: join(context.cpuProfileDir, `client-${name}-${recordBytes}`) }
      : {};
  const produce = await startDriver<ThroughputResult>(
    {
      kind: 'produce',
      system: driverSystem,
      endpoint: server.endpoint,
      destination,
      count: options.records,
      recordBytes,
      seed: options.seed,
    },
    profile('produce'),
  ).result;
  const consume = await startDriver<ThroughputResult>(
    {
      kind: 'consume',
      system: driverSystem,
      endpoint: server.endpoint,
      destination,
      count: options.records,
      recordBytes,
      timeoutMs: consumeTimeoutMs(options.records),
    },
    profile('consume'),
  ).result;
  return { produce, consume };
}

/** End-to-end latency at a fixed rate: a consumer process reading, then a paced producer process. */
export async function measureLatency(
  context: RunContext,
  system: SystemRun,
  server: RunningServer,
  recordBytes: number,
  rate: number,
  destination: string,
  scratchDir: string,
): Promise<LatencyRun> {
  const { options } = context;
  const warmupCount = rate * LATENCY_WARMUP_SECONDS;
  const count = rate * (options.latencySeconds + LATENCY_WARMUP_SECONDS);
  if (system.id === 'sluice-rdkafka') {
    return kcatLatency(
      context.rdkafkaBinary!,
      server.endpoint,
      destination,
      count,
      warmupCount,
      rate,
      recordBytes,
      scratchDir,
    );
  }
  const driverSystem = SYSTEMS[system.id].driver as DriverSystem;
  let announceReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    announceReady = resolve;
  });
  const consumer = startDriver<LatencyResult>(
    {
      kind: 'latency-consume',
      system: driverSystem,
      endpoint: server.endpoint,
      destination,
      count,
      warmupCount,
      timeoutMs: (count / rate) * 1000 + 60_000,
    },
    { onReady: () => announceReady() },
  );
  try {
    await Promise.race([ready, consumer.result]);
    await sleep(CONSUMER_SETTLE_MS);
    const paced = await startDriver<PacedResult>({
      kind: 'latency-produce',
      system: driverSystem,
      endpoint: server.endpoint,
      destination,
      count,
      rate,
      recordBytes,
      seed: options.seed,
    }).result;
    const latency = await consumer.result;
    return { paced, latency };
  } finally {
    await consumer.stop();
    await consumer.result.catch(() => {});
  }
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n').slice(0, 6).join(' | ').slice(0, 600);
}

/** One round of one system: a fresh server, every size's throughput and latency runs, then stop. */
export async function runSystemRound(context: RunContext, system: SystemRun, round: number): Promise<void> {
  const { options, log } = context;
  let server: RunningServer;
  try {
    server = await startServer(system.id);
  } catch (error) {
    for (const size of options.sizesBytes)
      system.cells[size].failures.push(`round ${round}: server did not start: ${errorText(error)}`);
    log(`  ${system.label}: server did not start: ${errorText(error)}`);
    return;
  }
  const scratchDir = trackDirectory(mkdtempSync(join(tmpdir(), 'sluice-bench-scratch-')));
  try {
    for (const size of options.sizesBytes) {
      const cell = system.cells[size];
      const name = `bench-r${round}-${size}`;
      try {
        const { produce, consume } = await measureThroughput(
          context,
          system,
          server,
          size,
          `${name}-throughput`,
        );
        cell.produce.push(produce);
        cell.consume.push(consume);
        log(
          `  ${system.label}, ${size} B: produce ${format(produce.records / (produce.elapsedMs / 1000))} records/s, consume ${format(consume.records / (consume.elapsedMs / 1000))} records/s`,
        );
      } catch (error) {
        cell.failures.push(`round ${round}, throughput: ${errorText(error)}`);
        log(`  ${system.label}, ${size} B: throughput failed: ${errorText(error)}`);
      }
      for (const rate of options.ratesPerSecond) {
        try {
          const run = await measureLatency(
            context,
            system,
            server,
            size,
            rate,
            `${name}-latency-${rate}`,
            scratchDir,
          );
          cell.latency[String(rate)].push(run);
          log(
            `  ${system.label}, ${size} B at ${format(rate)}/s (achieved ${format(run.paced.achievedRate)}/s): p50 ${run.latency.p50Ms.toFixed(2)} ms, p99 ${run.latency.p99Ms.toFixed(2)} ms`,
          );
        } catch (error) {
          cell.failures.push(`round ${round}, latency at ${rate}/s: ${errorText(error)}`);
          log(`  ${system.label}, ${size} B at ${format(rate)}/s: latency failed: ${errorText(error)}`);
        }
      }
    }
  } finally {
    await server.stop();
    removeTrackedDirectory(scratchDir);
  }
}

export function format(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
