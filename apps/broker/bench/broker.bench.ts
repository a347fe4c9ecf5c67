/**
 * Broker throughput and latency, driven by librdkafka's rdkafka_performance (a C load generator that is not
 * the bottleneck), beside the machine's loopback and disk ceilings measured in the same run.
 *
 *   pnpm --filter @sluice/broker bench [-- --records 2000000 --rounds 3 --rate 10000 --latency-seconds 5]
 *
 * Prints medians (with min and max) of several rounds for: produce and consume of 100-byte records with
 * acks=1 on 1 and 6 partitions; end-to-end latency p50/p99 at a fixed rate; iperf3 loopback and fio
 * sequential-write ceilings.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const repository = resolve(here, '../../..');
const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '2000000' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '50000' },
    'latency-seconds': { type: 'string', default: '5' },
    tools: { type: 'string', default: join(tmpdir(), 'sluice-librdkafka-tools') },
  },
});
const RECORDS = Number(values.records);
const ROUNDS = Number(values.rounds);
const RATE = Number(values.rate);
const LATENCY_SECONDS = Number(values['latency-seconds']);
const RECORD_BYTES = 100;

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function summary(samples: number[], unit: string, digits = 0): string {
  const format = (value: number) =>
    value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${format(median(samples))} ${unit} (min ${format(Math.min(...samples))}, max ${format(Math.max(...samples))})`;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

function tools(): string {
  const binary = join(values.tools, 'rdkafka_performance');
  if (!existsSync(binary)) {
    execFileSync(join(repository, '../shared/tools/build-librdkafka-tools'), [values.tools], {
      stdio: 'inherit',
    });
  }
  return binary;
}

interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

function runProcess(command: string, args: string[], timeoutMs = 600_000): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutMs);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ stdout, stderr, code });
    });
  });
}

/** The last table row of rdkafka_performance -u: { column: value }. */
function lastRow(text: string): Record<string, number> {
  const lines = text.split('\n').filter((line) => line.startsWith('|'));
  const header = lines.find((line) => line.includes('elapsed'));
  const rows = lines.filter((line) => !line.includes('elapsed'));
  if (!header || rows.length === 0)
    throw new Error(`no stats in rdkafka_performance output:\n${text.slice(-2000)}`);
  const names = header
    .split('|')
    .map((cell) => cell.trim())
    .filter(Boolean);
  const cells = rows[rows.length - 1]
    .split('|')
    .map((cell) => cell.trim())
    .filter(Boolean);
  return Object.fromEntries(names.map((name, i) => [name, Number(cells[i])]));
}

interface BrokerProcess {
  child: ChildProcess;
  bootstrap: string;
  dataDir: string;
}

async function startBroker(): Promise<BrokerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const child = spawn(
    process.execPath,
    [join(here, '../dist/main.js'), '--port', '0', '--data-dir', dataDir, '--set', 'metrics.port=-1'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SLUICE_LOG_LEVEL: 'info' } },
  );
  const port = await new Promise<number>((resolvePort, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'Sluice broker started') resolvePort(entry.port);
      } catch {
        // ignore
      }
    });
    child.on('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return { child, bootstrap: `127.0.0.1:${port}`, dataDir };
}

async function stopBroker(broker: BrokerProcess): Promise<void> {
  const exited = new Promise((resolveExit) => broker.child.on('exit', resolveExit));
  broker.child.kill('SIGTERM');
  await exited;
  rmSync(broker.dataDir, { recursive: true, force: true });
}

async function produce(
  binary: string,
  broker: BrokerProcess,
  topic: string,
  partitions: number,
): Promise<Record<string, number>> {
  const args = [
    '-P',
    '-t',
    topic,
    '-b',
    broker.bootstrap,
    '-s',
    String(RECORD_BYTES),
    '-c',
    String(RECORDS),
    '-X',
    'acks=1',
    '-X',
    'linger.ms=5',
    '-X',
    'batch.size=1000000',
    '-u',
    '-q',
  ];
  if (partitions === 1) args.push('-p', '0');
  const result = await runProcess(binary, args);
  if (result.code !== 0) throw new Error(`rdkafka_performance -P failed: ${result.stderr.slice(-2000)}`);
  return lastRow(result.stdout + result.stderr);
}

async function consume(
  binary: string,
  broker: BrokerProcess,
  topic: string,
  partitions: number,
): Promise<Record<string, number>> {
  const args = [
    '-C',
    '-t',
    topic,
    '-b',
    broker.bootstrap,
    '-o',
    'beginning',
    '-c',
    String(RECORDS),
    '-u',
    '-q',
    '-X',
    'fetch.max.bytes=52428800',
    '-X',
    'max.partition.fetch.bytes=10485760',
  ];
  for (let partition = 0; partition < partitions; partition++) args.push('-p', String(partition));
  const result = await runProcess(binary, args);
  if (result.code !== 0) throw new Error(`rdkafka_performance -C failed: ${result.stderr.slice(-2000)}`);
  return lastRow(result.stdout + result.stderr);
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
  await runProcess('kcat', ['-b', broker.bootstrap, '-L', '-t', topic]);
  const consumer = runProcess(
    binary,
    [
      '-C',
      '-t',
      topic,
      '-p',
      '0',
      '-b',
      broker.bootstrap,
      '-o',
      'end',
      '-l',
      '-A',
      file,
      '-c',
      String(count),
      '-u',
      '-q',
      '-X',
      'fetch.wait.max.ms=100',
    ],
    (LATENCY_SECONDS + 15) * 1000,
  );
  await new Promise((resolveWait) => setTimeout(resolveWait, 1500));
  const producer = await runProcess(binary, [
    '-P',
    '-t',
    topic,
    '-p',
    '0',
    '-b',
    broker.bootstrap,
    '-s',
    String(RECORD_BYTES),
    '-c',
    String(count),
    '-r',
    String(RATE),
    '-l',
    '-X',
    'acks=1',
    '-X',
    'linger.ms=0',
    '-u',
    '-q',
  ]);
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
  if ((await runProcess('sh', ['-c', 'command -v iperf3'])).code !== 0) return null;
  const port = String(15201 + Math.floor(Math.random() * 1000));
  const server = spawn('iperf3', ['-s', '-1', '-B', '127.0.0.1', '-p', port], { stdio: 'ignore' });
  await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  const result = await runProcess('iperf3', ['-c', '127.0.0.1', '-p', port, '-t', '3', '-J']);
  server.kill();
  if (result.code !== 0) return null;
  return JSON.parse(result.stdout).end.sum_received.bits_per_second / 8 / 1e6;
}

async function diskCeiling(directory: string): Promise<number | null> {
  if ((await runProcess('sh', ['-c', 'command -v fio'])).code !== 0) return null;
  const result = await runProcess('fio', [
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
  return JSON.parse(result.stdout).jobs[0].write.bw_bytes / 1e6;
}

async function main(): Promise<void> {
  const binary = tools();
  out(`# Sluice broker benchmark`);
  out(`machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, node ${process.version}`);
  out(
    `rerun: pnpm --filter @sluice/broker bench -- --records ${RECORDS} --rounds ${ROUNDS} --rate ${RATE} --latency-seconds ${LATENCY_SECONDS}`,
  );
  out(
    `load: rdkafka_performance (librdkafka), ${RECORDS.toLocaleString('en-US')} records of ${RECORD_BYTES} bytes, acks=1, linger.ms=5`,
  );
  out();

  const scratch = mkdtempSync(join(tmpdir(), 'sluice-bench-ceiling-'));
  const loopback: number[] = [];
  const disk: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const loop = await loopbackCeiling();
    if (loop !== null) loopback.push(loop);
    const write = await diskCeiling(scratch);
    if (write !== null) disk.push(write);
  }
  rmSync(scratch, { recursive: true, force: true });
  out(
    `loopback TCP (iperf3):           ${loopback.length ? summary(loopback, 'MB/s') : 'iperf3 not installed'}`,
  );
  out(`sequential disk write (fio 1M):  ${disk.length ? summary(disk, 'MB/s') : 'fio not installed'}`);
  out();

  for (const partitions of [1, 6]) {
    const produced: number[] = [];
    const producedBytes: number[] = [];
    const consumed: number[] = [];
    const consumedBytes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const broker = await startBroker();
      try {
        const topic = `bench-${partitions}`;
        await runProcess('kcat', ['-b', broker.bootstrap, '-L', '-t', topic]);
        if (partitions > 1) await growTopic(broker, topic, partitions);
        const p = await produce(binary, broker, topic, partitions);
        produced.push((p.dr / p.elapsed) * 1000);
        producedBytes.push((((p.dr * RECORD_BYTES) / p.elapsed) * 1000) / 1e6);
        const c = await consume(binary, broker, topic, partitions);
        consumed.push((c.msgs / c.elapsed) * 1000);
        consumedBytes.push((((c.msgs * RECORD_BYTES) / c.elapsed) * 1000) / 1e6);
      } finally {
        await stopBroker(broker);
      }
    }
    out(`${partitions} partition${partitions > 1 ? 's' : ''}:`);
    out(`  produce  ${summary(produced, 'records/s')}  = ${summary(producedBytes, 'MB/s', 1)}`);
    out(`  consume  ${summary(consumed, 'records/s')}  = ${summary(consumedBytes, 'MB/s', 1)}`);
  }
  out();

  const p50: number[] = [];
  const p99: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const broker = await startBroker();
    try {
      const result = await latency(binary, broker, 'latency');
      p50.push(result.p50);
      p99.push(result.p99);
    } finally {
      await stopBroker(broker);
    }
  }
  out(
    `end-to-end latency at ${RATE.toLocaleString('en-US')} records/s (produce acks=1 → consume), ${LATENCY_SECONDS} s per round after 1 s of warm-up:`,
  );
  out(`  p50 ${summary(p50, 'ms', 2)}`);
  out(`  p99 ${summary(p99, 'ms', 2)}`);
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
