import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { percentile, runRdkafkaPerformance } from '@sluice/test-support';
import { runProcess, sleep, startProcess } from './processes.js';
import type { LatencyResult, PacedResult, ThroughputResult } from './workloads.js';

/** The producer settings rdkafka_performance gets in the throughput runs (acks=1, as the Sluice client). */
export const RDKAFKA_THROUGHPUT_PRODUCER = ['acks=1', 'linger.ms=5', 'batch.size=1000000'] as const;
export const RDKAFKA_LATENCY_PRODUCER = ['acks=1', 'linger.ms=0', 'socket.nagle.disable=true'] as const;
/** librdkafka's fetch defaults, as Kafka's (fetch.max.bytes 50 MiB, max.partition.fetch.bytes 1 MiB), written out. */
export const RDKAFKA_CONSUMER = ['fetch.max.bytes=52428800', 'max.partition.fetch.bytes=1048576'] as const;

/** librdkafka's version, as kcat (linked against the same Debian library) reports it. */
export function librdkafkaVersion(): string {
  const output = execFileSync('kcat', ['-V'], { encoding: 'utf8' });
  return output.match(/librdkafka ([\d.]+)/)?.[1] ?? 'unknown';
}

function settings(list: readonly string[]): string[] {
  return list.flatMap((setting) => ['-X', setting]);
}

/** Creates the topic (the broker auto-creates it with 1 partition on this metadata request). */
export async function createTopicWithKcat(bootstrap: string, topic: string): Promise<void> {
  const result = await runProcess('kcat', ['-b', bootstrap, '-L', '-t', topic], 30_000);
  if (result.code !== 0) throw new Error(`kcat -L failed: ${result.stderr}`);
}

export async function rdkafkaProduce(
  binary: string,
  bootstrap: string,
  topic: string,
  count: number,
  recordBytes: number,
): Promise<ThroughputResult> {
  await createTopicWithKcat(bootstrap, topic);
  const args = [
    '-P',
    '-t',
    topic,
    '-p',
    '0',
    '-b',
    bootstrap,
    '-s',
    String(recordBytes),
    '-c',
    String(count),
  ];
  const row = await runRdkafkaPerformance(binary, [...args, ...settings(RDKAFKA_THROUGHPUT_PRODUCER)]);
  if (row.dr !== count) throw new Error(`rdkafka_performance delivered ${row.dr} of ${count} records`);
  return { records: row.dr, bytes: row.dr * recordBytes, elapsedMs: row.elapsed };
}

export async function rdkafkaConsume(
  binary: string,
  bootstrap: string,
  topic: string,
  count: number,
  recordBytes: number,
): Promise<ThroughputResult> {
  const args = ['-C', '-t', topic, '-p', '0', '-b', bootstrap, '-o', 'beginning', '-c', String(count)];
  const row = await runRdkafkaPerformance(binary, [...args, ...settings(RDKAFKA_CONSUMER)]);
  if (row.msgs !== count) throw new Error(`rdkafka_performance read ${row.msgs} of ${count} records`);
  return { records: row.msgs, bytes: row.bytes ?? row.msgs * recordBytes, elapsedMs: row.elapsed };
}

/** The pacer hands kcat what is due this often. */
const KCAT_PACER_TICK_MS = 1;

/** Wall-clock microseconds, the clock rdkafka_performance's latency mode reads (gettimeofday). */
function wallClockMicroseconds(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/**
 * Feeds `count` records to `kcat -P` (librdkafka, acks=1, linger.ms=0) at `rate` per second, one line per
 * record: "LATENCY:<wall-clock µs>" padded to `recordBytes`, the payload rdkafka_performance's latency
 * consumer reads. Resolves with the pace achieved once kcat has delivered everything and exited.
 */
async function kcatPacedProducer(
  bootstrap: string,
  topic: string,
  count: number,
  rate: number,
  recordBytes: number,
): Promise<PacedResult> {
  const producer = startProcess(
    'kcat -P',
    'kcat',
    ['-P', '-b', bootstrap, '-t', topic, '-p', '0', ...settings(RDKAFKA_LATENCY_PRODUCER)],
    { stdinPipe: true },
  );
  const input = producer.child.stdin!;
  const padding = 'x'.repeat(recordBytes);
  let sent = 0;
  const started = performance.now();
  while (sent < count) {
    const due = Math.min(count, Math.floor(((performance.now() - started) / 1000) * rate));
    if (due > sent) {
      const stamp = `LATENCY:${wallClockMicroseconds()} `;
      const line = `${stamp}${padding.slice(stamp.length)}\n`;
      const lines = line.repeat(due - sent);
      sent = due;
      if (!input.write(lines)) await new Promise((resolve) => input.once('drain', resolve));
      continue;
    }
    await sleep(KCAT_PACER_TICK_MS);
  }
  const sendingMs = performance.now() - started;
  input.end();
  const code = await producer.exited;
  if (code !== 0)
    throw new Error(`kcat -P exited with ${code}: ${producer.recentOutput.slice(-5).join(' | ')}`);
  return { sent, sendingMs, achievedRate: sent / (sendingMs / 1000) };
}

/**
 * End-to-end latency through librdkafka at both ends: kcat produces the records at a fixed rate (paced
 * here: rdkafka_performance's own pacing spins per record and cannot hold 50,000/s on 2 shared cores), and
 * rdkafka_performance's latency consumer (-l) writes each record's latency (µs) to a file.
 */
export async function kcatLatency(
  binary: string,
  bootstrap: string,
  topic: string,
  count: number,
  warmupCount: number,
  rate: number,
  recordBytes: number,
  scratchDir: string,
): Promise<{ paced: PacedResult; latency: LatencyResult }> {
  await createTopicWithKcat(bootstrap, topic);
  const file = join(scratchDir, `${topic}.latency`);
  const consumer = startProcess('rdkafka_performance -C -l', binary, [
    '-C',
    '-t',
    topic,
    '-p',
    '0',
    '-b',
    bootstrap,
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
  ]);
  const timer = setTimeout(() => void consumer.stop(), (count / rate + 60) * 1000);
  try {
    await sleep(1_500);
    const paced = await kcatPacedProducer(bootstrap, topic, count, rate, recordBytes);
    await consumer.exited;
    const latencies = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => Number(line) / 1000);
    if (latencies.length < count)
      throw new Error(`latency consumer saw ${latencies.length} of ${count} records`);
    const measured = Float64Array.from(latencies.slice(warmupCount)).sort();
    return {
      paced,
      latency: {
        received: latencies.length,
        measured: measured.length,
        p50Ms: percentile(measured, 0.5),
        p99Ms: percentile(measured, 0.99),
        p999Ms: percentile(measured, 0.999),
        maxMs: measured[measured.length - 1],
      },
    };
  } finally {
    clearTimeout(timer);
    await consumer.stop();
    rmSync(file, { force: true });
  }
}
