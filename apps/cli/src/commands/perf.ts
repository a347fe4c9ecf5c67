import { cpus } from 'node:os';
import type { ProducerMessage } from '@sluice/client';
import { seededRandom } from '@sluice/network';
import { Arguments } from '../arguments.js';
import { CliError } from '../cli-error.js';
import type { CommandContext, CommandDefinition, CommandGroup } from '../command.js';
import { LatencyHistogram, type LatencySummary } from '../latency-histogram.js';
import { CLI_LIMITS } from '../limits.js';
import { ThroughputThrottle } from '../throughput-throttle.js';
import { ACKS_OPTION, COMPRESSION_OPTION, readAcks, readCompression } from './shared-options.js';

const MEBIBYTE = 1024 * 1024;
/** Distinct payloads a perf producer rotates through (so that compression sees some variety). */
const PAYLOAD_VARIANTS = 16;

/** What `perf produce --json` and `perf consume --json` print. */
export interface PerfSummary {
  readonly test: 'produce' | 'consume';
  readonly topic: string;
  readonly records: number;
  readonly bytes: number;
  readonly elapsedMs: number;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  /** produce: from send to acknowledgement; consume: from the record's timestamp to its arrival. */
  readonly latencyMs: Omit<LatencySummary, 'count'>;
  readonly settings: Record<string, string | number | null>;
  readonly machine: { cpu: string; cores: number; node: string };
}

function machine(): PerfSummary['machine'] {
  const cores = cpus();
  return { cpu: cores[0]?.model.trim() ?? 'unknown', cores: cores.length, node: process.version };
}

/** Payloads of uppercase letters, as Kafka's producer perf test makes them; seeded, the same every run. */
function payloads(recordSizeBytes: number, seed: number): Buffer[] {
  const random = seededRandom(seed);
  return Array.from({ length: PAYLOAD_VARIANTS }, () => {
    const payload = Buffer.allocUnsafe(recordSizeBytes);
    for (let i = 0; i < recordSizeBytes; i++) payload[i] = 65 + Math.floor(random() * 26);
    return payload;
  });
}

function rate(count: number, elapsedMs: number): number {
  return elapsedMs <= 0 ? 0 : (count * 1000) / elapsedMs;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Redraws one status line on stderr when it is a terminal; silent otherwise. */
class ProgressLine {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly context: CommandContext,
    private readonly render: () => string,
  ) {}

  start(): void {
    if (!this.context.output.errorIsTerminal) return;
    this.timer = setInterval(
      () => this.context.output.stderr.write(`\r\u001b[2K${this.render()}`),
      CLI_LIMITS.PROGRESS_INTERVAL_MS,
    );
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.context.output.stderr.write('\r\u001b[2K');
  }
}

async function printSummary(context: CommandContext, summary: PerfSummary, asJson: boolean): Promise<void> {
  const out = context.output;
  if (asJson) {
    await out.line(JSON.stringify(summary));
    return;
  }
  const verb = summary.test === 'produce' ? 'sent' : 'consumed';
  const latency = summary.latencyMs;
  await out.line(
    `${summary.records} records ${verb} in ${round(summary.elapsedMs / 1000, 2)} s: ${out.style('bold', summary.recordsPerSec.toFixed(1))} records/sec (${out.style('bold', summary.mbPerSec.toFixed(2))} MB/sec)`,
  );
  await out.line(
    `latency ${summary.test === 'produce' ? '(send to ack)' : '(record timestamp to arrival)'}: ${latency.avgMs.toFixed(2)} ms avg, ${latency.p50Ms.toFixed(2)} ms p50, ${latency.p95Ms.toFixed(2)} ms p95, ${latency.p99Ms.toFixed(2)} ms p99, ${latency.p999Ms.toFixed(2)} ms p99.9, ${latency.maxMs.toFixed(2)} ms max`,
  );
}

function latencyFields(summary: LatencySummary): PerfSummary['latencyMs'] {
  const { count: _count, ...fields } = summary;
  return fields;
}

const produce: CommandDefinition = {
  kind: 'command',
  path: ['perf', 'produce'],
  summary: 'measure producer throughput and latency (as kafka-producer-perf-test)',
  description: [
    'Sends --records records of --record-size bytes (seeded random letters) as fast as the producer takes',
    'them, or at most --throughput records/s, and prints records/s, MB/s (MiB) and the latency from send',
    'to acknowledgement: average, p50, p95, p99, p99.9 and max, from a histogram (within 1%). A progress line',
    'is shown on a terminal; --json prints one JSON object instead.',
  ].join('\n'),
  positionals: [
    {
      name: 'topic',
      description: 'the topic to write to (created with the broker defaults if missing)',
      required: true,
    },
  ],
  options: {
    records: {
      type: 'string',
      short: 'n',
      value: 'N',
      description: 'how many records to send',
      defaultText: '1000000',
    },
    'record-size': {
      type: 'string',
      short: 's',
      value: 'BYTES',
      description: 'value size of each record',
      defaultText: '100',
    },
    throughput: {
      type: 'string',
      short: 'T',
      value: 'N',
      description: 'at most N records per second (-1: no cap)',
      defaultText: '-1',
    },
    acks: ACKS_OPTION,
    compression: COMPRESSION_OPTION,
    'batch-size': {
      type: 'string',
      value: 'BYTES',
      description: 'batch.size of the producer',
      defaultText: '16384',
    },
    'linger-ms': { type: 'string', value: 'MS', description: 'linger.ms of the producer', defaultText: '0' },
    seed: { type: 'string', value: 'N', description: 'seed of the payloads', defaultText: '1' },
    json: { type: 'boolean', description: 'print one JSON summary' },
  },
  examples: [
    {
      command: 'sluice perf produce bench --records 1000000 --record-size 100',
      description: 'a million 100-byte records, flat out',
    },
    {
      command: 'sluice perf produce bench -n 500000 -s 1024 --acks 1 -z lz4',
      description: '1 KiB records, leader acks, lz4',
    },
    {
      command: 'sluice perf produce bench -n 300000 --throughput 50000 --json',
      description: 'latency at 50,000 records/s, as JSON',
    },
  ],
  async run(context, input) {
    const a = new Arguments(this, input);
    const [topic] = a.positionals();
    const records = a.integer('records', { min: 1 }) ?? 1_000_000;
    const recordSizeBytes = a.integer('record-size', { min: 0, max: 64 * MEBIBYTE }) ?? 100;
    const throughput = a.integer('throughput', { min: -1 }) ?? -1;
    const acks = readAcks(a);
    const compression = readCompression(a);
    const batchSizeBytes = a.integer('batch-size', { min: 1 });
    const lingerMs = a.integer('linger-ms', { min: 0 }) ?? 0;
    const seed = a.integer('seed') ?? 1;
    const asJson = a.boolean('json');

    await context.connect();
    const producer = context.client().producer<Buffer, Buffer>({
      acks,
      compression,
      lingerMs,
      maxBlockMs: context.timeoutMs,
      ...(batchSizeBytes === undefined ? {} : { batchSizeBytes }),
    });
    const messages = payloads(recordSizeBytes, seed).map(
      (value): ProducerMessage<Buffer, Buffer> => ({ value }),
    );
    const histogram = new LatencyHistogram();
    const startMs = performance.now();
    const throttle = new ThroughputThrottle(throughput, startMs);
    const inFlight: Promise<void>[] = [];
    let sent = 0;
    let acknowledged = 0;
    let failure: unknown;
    const progress = new ProgressLine(context, () => {
      const elapsedMs = performance.now() - startMs;
      return `${acknowledged} records sent, ${rate(acknowledged, elapsedMs).toFixed(1)} records/sec (${((rate(acknowledged, elapsedMs) * recordSizeBytes) / MEBIBYTE).toFixed(2)} MB/sec), ${histogram.summary().avgMs.toFixed(2)} ms avg latency`;
    });
    progress.start();
    try {
      while (sent < records && failure === undefined && !context.signal.aborted) {
        const nowMs = performance.now();
        const allowed = Math.min(
          records - sent,
          CLI_LIMITS.PERF_RECORDS_PER_SEND,
          throttle.allowance(sent, nowMs),
        );
        if (allowed <= 0) {
          await sleep(throttle.waitMs(sent, nowMs));
          continue;
        }
        const chunk: ProducerMessage<Buffer, Buffer>[] = new Array(allowed);
        for (let i = 0; i < allowed; i++) chunk[i] = messages[(sent + i) % PAYLOAD_VARIANTS];
        const sentAtMs = performance.now();
        inFlight.push(
          producer.send({ topic, messages: chunk }).then(
            () => {
              histogram.record((performance.now() - sentAtMs) * 1000, allowed);
              acknowledged += allowed;
            },
            (error: unknown) => {
              failure ??= error;
            },
          ),
        );
        sent += allowed;
        if (inFlight.length >= CLI_LIMITS.PERF_SENDS_IN_FLIGHT) await inFlight.shift();
      }
      await Promise.all(inFlight);
      await producer.flush();
    } finally {
      progress.stop();
    }
    const elapsedMs = performance.now() - startMs;
    await producer.close();
    if (failure !== undefined) throw failure;
    const recordsPerSec = rate(acknowledged, elapsedMs);
    await printSummary(
      context,
      {
        test: 'produce',
        topic,
        records: acknowledged,
        bytes: acknowledged * recordSizeBytes,
        elapsedMs: round(elapsedMs, 1),
        recordsPerSec: round(recordsPerSec, 1),
        mbPerSec: round((recordsPerSec * recordSizeBytes) / MEBIBYTE, 3),
        latencyMs: latencyFields(histogram.summary()),
        settings: {
          recordSizeBytes,
          throughputCap: throughput > 0 ? throughput : null,
          acks: acks === -1 ? 'all' : acks,
          compression,
          lingerMs,
          batchSizeBytes: producer.options.batchSizeBytes,
          seed,
        },
        machine: machine(),
      },
      asJson,
    );
  },
};

const consume: CommandDefinition = {
  kind: 'command',
  path: ['perf', 'consume'],
  summary: 'measure consumer throughput (as kafka-consumer-perf-test)',
  description: [
    'Reads --records records (default: every record in the topic when it starts) from the earliest offset',
    'of every partition and prints records/s, MB/s (MiB, keys and values) and the latency from each',
    "record's timestamp to its arrival (ms resolution): average, p50, p95, p99, p99.9 and max. That latency is end to end",
    'when a producer writes at the same time (e.g. `perf produce --throughput`); for old records it is',
    'their age. With --from-latest the clock starts at the first record. Fails if no record arrives for',
    '--idle-timeout-ms.',
  ].join('\n'),
  positionals: [{ name: 'topic', description: 'the topic to read', required: true }],
  options: {
    records: {
      type: 'string',
      short: 'n',
      value: 'N',
      description: 'how many records to read',
      defaultText: 'all there are',
    },
    'from-latest': {
      type: 'boolean',
      description: 'start at the end (read only what is produced from now on)',
    },
    'idle-timeout-ms': {
      type: 'string',
      value: 'MS',
      description: 'give up when no record arrives for this long',
      defaultText: '10000',
    },
    'max-poll-records': {
      type: 'string',
      value: 'N',
      description: 'max.poll.records of the consumer',
      defaultText: '500',
    },
    json: { type: 'boolean', description: 'print one JSON summary' },
  },
  examples: [
    { command: 'sluice perf consume bench', description: 'read everything in the topic' },
    {
      command: 'sluice perf consume bench --records 1000000 --json',
      description: 'a million records, as JSON',
    },
    {
      command:
        'sluice perf consume bench --from-latest -n 300000 & sluice perf produce bench -n 300000 -T 50000',
      description: 'end-to-end latency at 50,000 records/s',
    },
  ],
  async run(context, input) {
    const a = new Arguments(this, input);
    const [topic] = a.positionals();
    const wanted = a.integer('records', { min: 1 });
    const idleTimeoutMs = a.integer('idle-timeout-ms', { min: 1 }) ?? 10_000;
    const maxPollRecords = a.integer('max-poll-records', { min: 1 }) ?? 500;
    const fromLatest = a.boolean('from-latest');
    if (fromLatest && wanted === undefined)
      throw a.usage('--from-latest needs --records N (how many to wait for)');
    const asJson = a.boolean('json');

    await context.connect();
    const admin = context.admin();
    const operation = { timeoutMs: context.timeoutMs, signal: context.signal };
    const [description] = await admin.describeTopics([topic], operation);
    const partitions = description.partitions.map((partition) => partition.partition);
    const bounds = await admin.listOffsets(
      partitions.flatMap((partition) => [
        { topic, partition, spec: 'earliest' as const },
        { topic, partition, spec: 'latest' as const },
      ]),
      operation,
    );
    const available = partitions.reduce(
      (sum, _, i) => sum + bounds[2 * i + 1].offset - bounds[2 * i].offset,
      0,
    );
    const records = wanted ?? available;
    if (records === 0)
      throw new CliError(
        `${topic} has no records to read`,
        `write some first, e.g. \`sluice perf produce ${topic}\``,
      );

    const consumer = context.client().consumer<Buffer, Buffer>({ maxPollRecords });
    consumer.assign(
      partitions.map((partition, i) => ({
        topic,
        partition,
        offset: bounds[2 * i + (fromLatest ? 1 : 0)].offset,
      })),
    );
    const histogram = new LatencyHistogram();
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    context.signal.addEventListener('abort', onAbort, { once: true });
    let received = 0;
    let bytes = 0;
    let lastArrivalMs = performance.now();
    let idle = false;
    const watchdog = setInterval(
      () => {
        if (performance.now() - lastArrivalMs > idleTimeoutMs) {
          idle = true;
          stop.abort();
        }
      },
      Math.min(idleTimeoutMs, 1_000),
    );
    // Reading what is produced from now on, the clock starts with the first record, not while waiting for it.
    let startMs = performance.now();
    let started = !fromLatest;
    const progress = new ProgressLine(context, () => {
      const elapsedMs = performance.now() - startMs;
      return `${received} records consumed, ${rate(received, elapsedMs).toFixed(1)} records/sec (${(rate(bytes, elapsedMs) / MEBIBYTE).toFixed(2)} MB/sec)`;
    });
    progress.start();
    try {
      for await (const batch of consumer.batches({ signal: stop.signal })) {
        const nowMs = Date.now();
        lastArrivalMs = performance.now();
        if (!started) {
          started = true;
          startMs = lastArrivalMs;
        }
        const take = Math.min(batch.records.length, records - received);
        for (let i = 0; i < take; i++) {
          const record = batch.records[i];
          bytes += (record.value?.length ?? 0) + (record.key?.length ?? 0);
          histogram.record((nowMs - record.timestamp) * 1000);
        }
        received += take;
        if (received >= records) break;
      }
    } finally {
      clearInterval(watchdog);
      progress.stop();
      context.signal.removeEventListener('abort', onAbort);
      await consumer.close();
    }
    const elapsedMs = performance.now() - startMs;
    if (idle) {
      throw new CliError(
        `no record arrived for ${idleTimeoutMs} ms after ${received} of ${records}`,
        'produce more records, or lower --records',
      );
    }
    const recordsPerSec = rate(received, elapsedMs);
    await printSummary(
      context,
      {
        test: 'consume',
        topic,
        records: received,
        bytes,
        elapsedMs: round(elapsedMs, 1),
        recordsPerSec: round(recordsPerSec, 1),
        mbPerSec: round(rate(bytes, elapsedMs) / MEBIBYTE, 3),
        latencyMs: latencyFields(histogram.summary()),
        settings: { partitions: partitions.length, maxPollRecords, from: fromLatest ? 'latest' : 'earliest' },
        machine: machine(),
      },
      asJson,
    );
  },
};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(1, ms)));
}

export const perfGroup: CommandGroup = {
  kind: 'group',
  name: 'perf',
  summary: 'measure producer and consumer throughput and latency',
  commands: [produce, consume],
  examples: [
    {
      command: 'sluice perf produce bench --records 1000000 --record-size 100',
      description: 'producer throughput and latency',
    },
    { command: 'sluice perf consume bench', description: 'consumer throughput' },
  ],
};
