import * as sluiceBroker from '@sluice/broker';
import { startSluiceBroker } from '@sluice/test-support';
import { startedForSuite } from '@sluice/test-support/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PerfSummary } from '../src/commands/perf.js';
import { runCli, runCliOnTerminal, startCli, terminalUnavailableReason } from './run-cli.js';

function summaryOf(stdout: string): PerfSummary {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]) as PerfSummary;
}

function expectSaneLatency(latency: PerfSummary['latencyMs']): void {
  expect(latency.p50Ms).toBeGreaterThanOrEqual(0);
  expect(latency.p50Ms).toBeLessThanOrEqual(latency.p95Ms);
  expect(latency.p95Ms).toBeLessThanOrEqual(latency.p99Ms);
  expect(latency.p99Ms).toBeLessThanOrEqual(latency.p999Ms);
  expect(latency.p999Ms).toBeLessThanOrEqual(latency.maxMs);
  expect(latency.avgMs).toBeGreaterThanOrEqual(0);
  expect(latency.avgMs).toBeLessThanOrEqual(latency.maxMs);
}

describe('sluice perf against a Sluice broker', () => {
  const broker = startedForSuite(() => startSluiceBroker(sluiceBroker));
  const sluice = (...args: string[]) => runCli(['--bootstrap-server', broker.bootstrap, ...args]);
  /** The arguments of `sluice --bootstrap-server <broker> perf <commandLine>` (whose words hold no spaces). */
  const perfArguments = (commandLine: string) => [
    '--bootstrap-server',
    broker.bootstrap,
    'perf',
    ...commandLine.split(' '),
  ];
  const perf = (commandLine: string) => runCli(perfArguments(commandLine));

  beforeAll(async () => {
    expect((await sluice('topics', 'create', 'bench', '--partitions', '2')).code).toBe(0);
  });

  it('perf produce --json sends every record and reports throughput and latency percentiles', async () => {
    const result = await perf(
      'produce bench --records 20000 --record-size 64 --acks 1 --compression lz4 --json',
    );
    expect(result.code).toBe(0);
    const summary = summaryOf(result.stdout);
    expect(summary).toMatchObject({
      test: 'produce',
      topic: 'bench',
      records: 20_000,
      bytes: 20_000 * 64,
      settings: { recordSizeBytes: 64, acks: 1, compression: 'lz4', throughputCap: null },
    });
    expect(summary.elapsedMs).toBeGreaterThan(0);
    // elapsedMs is printed to 0.1 ms, so the rates agree with it to within a tenth of a percent.
    const expectedRate = (20_000 * 1000) / summary.elapsedMs;
    expect(Math.abs(summary.recordsPerSec - expectedRate) / expectedRate).toBeLessThan(0.001);
    expect(summary.mbPerSec).toBeCloseTo((summary.recordsPerSec * 64) / 1024 / 1024, 2);
    expectSaneLatency(summary.latencyMs);
    expect(summary.machine.cores).toBeGreaterThan(0);
    expect(summary.machine.node).toBe(process.version);

    const offsets = JSON.parse((await sluice('topics', 'describe', 'bench', '--json')).stdout);
    expect(offsets[0].partitionCount).toBe(2);
    const consumed = await sluice('consume', 'bench', '-B', '-e', '-F', 'json');
    expect(consumed.stdout.trim().split('\n')).toHaveLength(20_000);
    expect(JSON.parse(consumed.stdout.split('\n')[0]).value).toMatch(/^[A-Z]{64}$/);
  });

  it('perf produce keeps to a throughput cap', async () => {
    const result = await perf('produce bench -n 3000 -s 10 --throughput 2000 --json');
    expect(result.code).toBe(0);
    const summary = summaryOf(result.stdout);
    expect(summary.records).toBe(3000);
    expect(summary.settings.throughputCap).toBe(2000);
    // 3000 records at 2000/s take at least 1.5 s (the first record is due at once).
    expect(summary.elapsedMs).toBeGreaterThanOrEqual(1_400);
    expect(summary.recordsPerSec).toBeLessThanOrEqual(2_200);
    expectSaneLatency(summary.latencyMs);
  });

  it('perf consume --json reads every record in the topic and reports throughput', async () => {
    const result = await perf('consume bench --json');
    expect(result.code).toBe(0);
    const summary = summaryOf(result.stdout);
    expect(summary).toMatchObject({
      test: 'consume',
      topic: 'bench',
      records: 23_000,
      bytes: 20_000 * 64 + 3_000 * 10,
    });
    expect(summary.recordsPerSec).toBeGreaterThan(0);
    expectSaneLatency(summary.latencyMs);

    const some = summaryOf((await perf('consume bench --records 500 --json')).stdout);
    expect(some.records).toBe(500);
  });

  it('perf consume --from-latest measures end-to-end latency of records produced while it runs', async () => {
    expect((await sluice('topics', 'create', 'live', '--partitions', '1')).code).toBe(0);
    const consumer = startCli(perfArguments('consume live --from-latest --records 1000 --json'));
    // The producer runs for 3 s, so the consumer is reading well before the 1000th record is written.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const producer = await perf('produce live --records 3000 --throughput 1000 --json');
    expect(producer.code).toBe(0);
    expect(await consumer.exited).toBe(0);
    const summary = summaryOf(consumer.stdout());
    expect(summary).toMatchObject({ test: 'consume', records: 1000, settings: { from: 'latest' } });
    expectSaneLatency(summary.latencyMs);
    // Records a second old at most: they were read as they were written, not found later.
    expect(summary.latencyMs.p50Ms).toBeLessThan(1_000);
  });

  it('perf prints a human summary without --json, and fails clearly on an empty topic', async () => {
    const text = await perf('produce bench -n 1000');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^1000 records sent in [\d.]+ s: [\d.]+ records\/sec \([\d.]+ MB\/sec\)\n/);
    expect(text.stdout).toMatch(
      /ms avg, [\d.]+ ms p50, [\d.]+ ms p95, [\d.]+ ms p99, [\d.]+ ms p99\.9, [\d.]+ ms max/,
    );

    expect((await sluice('topics', 'create', 'empty', '-p', '1')).code).toBe(0);
    const empty = await perf('consume empty');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('empty has no records to read');
  });

  it.skipIf(terminalUnavailableReason() !== null)(
    'perf shows a live progress line on a terminal',
    async () => {
      const result = await runCliOnTerminal(perfArguments('produce bench -n 3000 -s 10 -T 1200'));
      expect(result.code).toBe(0);
      // Redrawn in place: a carriage return and erase-line before each update.
      const updates = result.stdout.split('\r\u001b[2K').slice(1);
      expect(updates.some((update) => /^\d+ records sent, [\d.]+ records\/sec/.test(update))).toBe(true);
      expect(result.stdout).toMatch(/3000 records sent in/);
    },
  );
});
