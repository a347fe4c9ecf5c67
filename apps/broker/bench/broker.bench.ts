/**
 * Broker throughput and latency, driven by librdkafka's rdkafka_performance (a C load generator that is not
 * the bottleneck), beside the machine's loopback and disk ceilings measured in the same run.
 *
 *   pnpm --filter @sluice/broker bench [--records 2000000 --rounds 3 --rate 50000 --latency-seconds 5]
 *
 * (`pnpm --filter @sluice/broker bench -- --records …` works too: pnpm 10 passes the `--` on, and it is skipped.)
 *
 * Prints medians (with min and max) of several rounds for: produce and consume of 100-byte records with
 * acks=1 on 1 and 6 partitions; end-to-end latency p50/p99 at a fixed rate; iperf3 loopback and fio
 * sequential-write ceilings.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type BrokerProcess,
  formatSummary,
  LIBRDKAFKA_TOOLS_DIRECTORY,
  machineLine,
  onPath,
  rdkafkaPerformancePath,
  removeDirectory,
  runCommand,
  runRdkafkaPerformance,
  startBrokerProcess,
  temporaryDirectory,
} from '@sluice/test-support';

const USAGE = `Usage: pnpm --filter @sluice/broker bench [--records N] [--rounds N] [--rate RECORDS_PER_S]
                                          [--latency-seconds S] [--tools DIR]
Defaults: --records 2000000 --rounds 3 --rate 50000 --latency-seconds 5 --tools ${LIBRDKAFKA_TOOLS_DIRECTORY}`;
const argv = process.argv.slice(2);
const { values } = parseArgs({
  // pnpm 10 passes the `--` of `pnpm … bench -- --records …` on to the script: skip it.
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    records: { type: 'string', default: '2000000' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '50000' },
    'latency-seconds': { type: 'string', default: '5' },
    tools: { type: 'string', default: LIBRDKAFKA_TOOLS_DIRECTORY },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const RECORDS = Number(values.records);
const ROUNDS = Number(values.rounds);
const RATE = Number(values.rate);
const LATENCY_SECONDS = Number(values['latency-seconds']);
const RECORD_BYTES = 100;
/** How long one rdkafka_performance, kcat, iperf3 or fio run may take. */
const RUN_TIMEOUT_MS = 600_000;

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** The sample at `fraction` of the sorted samples (index floor(fraction × count), the last at most). */
function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

function run(command: string, args: string[], timeoutMs = RUN_TIMEOUT_MS) {
  return runCommand(command, args, { timeoutMs });
}

/** rdkafka_performance's arguments in `mode` (-P or -C) on `topic` of `broker`, then `args`. */
function performanceArgs(mode: '-P' | '-C', broker: BrokerProcess, topic: string, args: string[]): string[] {
  return [mode, '-t', topic, '-b', broker.bootstrap, ...args];
}

function produce(
  binary: string,
  broker: BrokerProcess,
  topic: string,
  partitions: number,
): Promise<Record<string, number>> {
  const settings = ['acks=1', 'linger.ms=5', 'batch.size=1000000'].flatMap((setting) => ['-X', setting]);
  const args = ['-s', String(RECORD_BYTES), '-c', String(RECORDS), ...settings];
  if (partitions === 1) args.push('-p', '0');
  return runRdkafkaPerformance(binary, performanceArgs('-P', broker, topic, args));
}

function consume(
  binary: string,
  broker: BrokerProcess,
  topic: string,
  partitions: number,
): Promise<Record<string, number>> {
  const settings = ['fetch.max.bytes=52428800', 'max.partition.fetch.bytes=10485760'];
  const args = ['-o', 'beginning', '-c', String(RECORDS), ...settings.flatMap((setting) => ['-X', setting])];
  for (let partition = 0; partition < partitions; partition++) args.push('-p', String(partition));
  return runRdkafkaPerformance(binary, performanceArgs('-C', broker, topic, args));
}

async function latency(
  binary: string,
  broker: BrokerProcess,
  topic: string,
): Promise<{ p50: number; p99: number; count: number }> {
  // One extra second is sent first and left out of the figures: it covers the clients' start (connections,
  // metadata, the first fetch), which is not the broker's steady-state latency.
  const warmup = RATE;
  const count = RATE * LATENCY_SECONDS + warmup;
  const file = join(broker.dataDir, `latency-${topic}.txt`);
  await run('kcat', ['-b', broker.bootstrap, '-L', '-t', topic]);
  const consumerArgs = ['-p', '0', '-o', 'end', '-l', '-A', file, '-c', String(count)];
  const consumer = run(
    binary,
    performanceArgs('-C', broker, topic, [...consumerArgs, '-u', '-q', '-X', 'fetch.wait.max.ms=100']),
    (LATENCY_SECONDS + 15) * 1000,
  );
  await new Promise((resolveWait) => setTimeout(resolveWait, 1500));
  const producerArgs = ['-p', '0', '-s', String(RECORD_BYTES), '-c', String(count), '-r', String(RATE), '-l'];
  const producer = await run(
    binary,
    performanceArgs('-P', broker, topic, [...producerArgs, '-X', 'acks=1', '-X', 'linger.ms=0', '-u', '-q']),
  );
  if (producer.code !== 0) throw new Error(`latency producer failed: ${producer.stderr.slice(-2000)}`);
  await consumer;
  const samples = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(warmup)
    .map((line) => Number(line) / 1000)
    .sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), count: samples.length };
}

async function loopbackCeiling(): Promise<number | null> {
  if (!onPath('iperf3')) return null;
  const port = String(15201 + Math.floor(Math.random() * 1000));
  const server = spawn('iperf3', ['-s', '-1', '-B', '127.0.0.1', '-p', port], { stdio: 'ignore' });
  await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  const result = await run('iperf3', ['-c', '127.0.0.1', '-p', port, '-t', '3', '-J']);
  server.kill();
  if (result.code !== 0) return null;
  return JSON.parse(result.stdout.toString()).end.sum_received.bits_per_second / 8 / 1e6;
}

async function diskCeiling(directory: string): Promise<number | null> {
  if (!onPath('fio')) return null;
  const result = await run('fio', [
    '--name=seqwrite',
    `--filename=${join(directory, 'fio.bin')}`,
    '--rw=write',
    '--bs=1M',
    '--size=1G',
    '--ioengine=psync',
    '--end_fsync=1',
    '--output-format=json',
  ]);
  rmSync(join(directory, 'fio.bin'), { force: true });
  if (result.code !== 0) return null;
  return JSON.parse(result.stdout.toString()).jobs[0].write.bw_bytes / 1e6;
}

async function main(): Promise<void> {
  const binary = rdkafkaPerformancePath(values.tools);
  out(`# Sluice broker benchmark`);
  out(`machine: ${machineLine()}`);
  out(
    `rerun: pnpm --filter @sluice/broker bench --records ${RECORDS} --rounds ${ROUNDS} --rate ${RATE} --latency-seconds ${LATENCY_SECONDS}`,
  );
  out(
    `load: rdkafka_performance (librdkafka), ${RECORDS.toLocaleString('en-US')} records of ${RECORD_BYTES} bytes, acks=1, linger.ms=5`,
  );
  out();

  const scratch = temporaryDirectory('sluice-bench-ceiling-');
  const loopback: number[] = [];
  const disk: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const loop = await loopbackCeiling();
    if (loop !== null) loopback.push(loop);
    const write = await diskCeiling(scratch);
    if (write !== null) disk.push(write);
  }
  removeDirectory(scratch);
  out(
    `loopback TCP (iperf3):           ${loopback.length ? formatSummary(loopback, 'MB/s', 0) : 'iperf3 not installed'}`,
  );
  out(
    `sequential disk write (fio 1M):  ${disk.length ? formatSummary(disk, 'MB/s', 0) : 'fio not installed'}`,
  );
  out();

  for (const partitions of [1, 6]) {
    const produced: number[] = [];
    const producedBytes: number[] = [];
    const consumed: number[] = [];
    const consumedBytes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const broker = await startBrokerProcess({ stderr: 'inherit' });
      try {
        const topic = `bench-${partitions}`;
        await run('kcat', ['-b', broker.bootstrap, '-L', '-t', topic]);
        if (partitions > 1) await growTopic(broker, topic, partitions);
        const p = await produce(binary, broker, topic, partitions);
        produced.push((p.dr / p.elapsed) * 1000);
        producedBytes.push((((p.dr * RECORD_BYTES) / p.elapsed) * 1000) / 1e6);
        const c = await consume(binary, broker, topic, partitions);
        consumed.push((c.msgs / c.elapsed) * 1000);
        consumedBytes.push((((c.msgs * RECORD_BYTES) / c.elapsed) * 1000) / 1e6);
      } finally {
        await broker.stop();
      }
    }
    out(`${partitions} partition${partitions > 1 ? 's' : ''}:`);
    out(
      `  produce  ${formatSummary(produced, 'records/s', 0)}  = ${formatSummary(producedBytes, 'MB/s', 1)}`,
    );
    out(
      `  consume  ${formatSummary(consumed, 'records/s', 0)}  = ${formatSummary(consumedBytes, 'MB/s', 1)}`,
    );
  }
  out();

  const p50: number[] = [];
  const p99: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const broker = await startBrokerProcess({ stderr: 'inherit' });
    try {
      const result = await latency(binary, broker, 'latency');
      p50.push(result.p50);
      p99.push(result.p99);
    } finally {
      await broker.stop();
    }
  }
  out(
    `end-to-end latency at ${RATE.toLocaleString('en-US')} records/s (produce acks=1 → consume), ${LATENCY_SECONDS} s per round after 1 s of warm-up:`,
  );
  out(`  p50 ${formatSummary(p50, 'ms', 2)}`);
  out(`  p99 ${formatSummary(p99, 'ms', 2)}`);
}

/** Grows the auto-created topic to `partitions` with a CreatePartitions request (through the Sluice admin port). */
async function growTopic(broker: BrokerProcess, topic: string, partitions: number): Promise<void> {
  const { Apis, decodeResponseFrame, encodeRequestFrame } = await import('@sluice/protocol');
  const { connect } = await import('node:net');
  const [host, port] = broker.bootstrap.split(':');
  await new Promise<void>((resolveDone, reject) => {
    const socket = connect({ host, port: Number(port) }, () => {
      for (const chunk of encodeRequestFrame(Apis.CreatePartitions, 1, 1, 'bench', {
        topics: [{ name: topic, count: partitions, assignments: null }],
        timeoutMs: 10_000,
        validateOnly: false,
      })) {
        socket.write(chunk);
      }
    });
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const { body } = decodeResponseFrame(Apis.CreatePartitions, 1, buffered.subarray(4));
        socket.destroy();
        if (body.results[0].errorCode !== 0)
          reject(new Error(`CreatePartitions: ${body.results[0].errorMessage}`));
        else resolveDone();
      }
    });
    socket.on('error', reject);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
