/**
 * Record batch v2 and CRC-32C throughput of @sluice/protocol.
 *
 *   pnpm --filter @sluice/protocol bench [--rounds 7] [--records-per-batch 1000] [--seed 1] [--quick]
 *
 * What it measures, each case interleaved with the others in every round (the machine is shared and noisy,
 * so the figures are medians over rounds, and comparisons are ratios within the same run):
 * - encodeRecordBatch and decodeRecordBatch (CRC verified) of batches of 100-byte records, null keys, no
 *   headers (the shape of kafka-producer-perf-test --record-size 100), for every compression type;
 *   records/s and MB/s, where MB/s counts the 100-byte values (10^6 bytes per MB);
 * - the same with kafkajs 2.2.4's record batch encoder and decoder (none and gzip, the codecs it has
 *   built in), as a baseline: the ratio is Sluice / kafkajs;
 * - CRC-32C (native and portable) over 1 MiB, against zlib's IEEE CRC-32 and a plain memory copy as
 *   baselines for the machine.
 */
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { crc32 as crc32Ieee } from 'node:zlib';
import { median, seededRandom } from '@sluice/test-support';
import {
  type CompressionName,
  crc32c,
  crc32cImplementation,
  crc32cPortable,
  decodeRecordBatch,
  encodeRecordBatch,
  type RecordInput,
} from '../src/index.js';

const { values: options } = parseArgs({
  // pnpm passes a `--` separator through when one is given; it separates nothing here.
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: {
    rounds: { type: 'string', default: '7' },
    'records-per-batch': { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
  },
});
const QUICK = options.quick ?? false;
const ROUNDS = QUICK ? 2 : Number(options.rounds);
const RECORDS_PER_BATCH = Number(options['records-per-batch']);
const SEED = Number(options.seed);
/** Each case runs for at least this long per round. */
const CASE_MS = QUICK ? 20 : 250;
const RECORD_VALUE_BYTES = 100;
const CRC_INPUT_BYTES = 1024 * 1024;
const CODECS: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

function write(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** 100-byte values that look like log lines or JSON: words and digits, compressible about 2-4x. */
function recordValues(count: number, seed: number): Buffer[] {
  const next = seededRandom(seed);
  const words = ['user', 'order', 'status', 'ok', 'payment', 'id', 'region', 'eu-west', '"ts":', 'retry'];
  return Array.from({ length: count }, () => {
    const value = Buffer.alloc(RECORD_VALUE_BYTES, 0x20);
    let position = 0;
    while (position < RECORD_VALUE_BYTES) {
      const token =
        next() < 0.6 ? words[Math.floor(next() * words.length)] : String(Math.floor(next() * 1e6));
      position += value.write(`${token} `, position);
    }
    return value;
  });
}

interface Case {
  readonly name: string;
  /** Records (or bytes, for CRC cases) handled by one call of `run`. */
  readonly unitsPerRun: number;
  readonly bytesPerRun: number;
  readonly run: () => unknown | Promise<unknown>;
}

/** Runs `run` repeatedly for at least CASE_MS; returns seconds per run. */
async function measure(testCase: Case): Promise<number> {
  let runs = 0;
  const start = performance.now();
  let elapsedMs = 0;
  do {
    const result = testCase.run();
    if (result instanceof Promise) await result;
    runs++;
    elapsedMs = performance.now() - start;
  } while (elapsedMs < CASE_MS);
  return elapsedMs / 1000 / runs;
}

function formatRate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return value.toFixed(0);
}

// ---------------------------------------------------------------------------------------------------------
// Cases

const values = recordValues(RECORDS_PER_BATCH, SEED);
const records: RecordInput[] = values.map((value) => ({ key: null, value, timestamp: 1_700_000_000_000 }));
const payloadBytes = RECORDS_PER_BATCH * RECORD_VALUE_BYTES;

const cases: Case[] = [];
const encodedSizes = new Map<CompressionName, number>();
for (const compression of CODECS) {
  const encoded = encodeRecordBatch({ records, compression });
  encodedSizes.set(compression, encoded.length);
  const perBatch = { unitsPerRun: RECORDS_PER_BATCH, bytesPerRun: payloadBytes };
  cases.push({
    name: `sluice encode ${compression}`,
    ...perBatch,
    run: () => encodeRecordBatch({ records, compression }),
  });
  cases.push({ name: `sluice decode ${compression}`, ...perBatch, run: () => decodeRecordBatch(encoded) });
}

const require = createRequire(import.meta.url);
const KafkajsDecoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const kafkajsDecode = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<unknown>;
const { RecordBatch: kafkajsEncode } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (batch: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: object) => unknown;
const { CompressionTypes } = require('kafkajs') as { CompressionTypes: { None: number; GZIP: number } };
for (const [compression, type] of [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
] as const) {
  const encodeWithKafkajs = () =>
    kafkajsEncode({
      compression: type,
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_000,
      lastOffsetDelta: RECORDS_PER_BATCH - 1,
      records: values.map((value, offsetDelta) => kafkajsRecord({ key: null, value, offsetDelta })),
    });
  const encoded = (await encodeWithKafkajs()).buffer;
  const perBatch = { unitsPerRun: RECORDS_PER_BATCH, bytesPerRun: payloadBytes };
  cases.push({ name: `kafkajs encode ${compression}`, ...perBatch, run: encodeWithKafkajs });
  cases.push({
    name: `kafkajs decode ${compression}`,
    ...perBatch,
    run: () => kafkajsDecode(new KafkajsDecoder(encoded)),
  });
}

const crcInput = Buffer.concat(
  recordValues(Math.ceil(CRC_INPUT_BYTES / RECORD_VALUE_BYTES), SEED + 1),
).subarray(0, CRC_INPUT_BYTES);
const copyTarget = Buffer.allocUnsafe(CRC_INPUT_BYTES);
const perMebibyte = { unitsPerRun: CRC_INPUT_BYTES, bytesPerRun: CRC_INPUT_BYTES };
cases.push({ name: `crc32c (${crc32cImplementation})`, ...perMebibyte, run: () => crc32c(crcInput) });
cases.push({ name: 'crc32c portable', ...perMebibyte, run: () => crc32cPortable(crcInput) });
cases.push({ name: 'zlib crc32 (IEEE)', ...perMebibyte, run: () => crc32Ieee(crcInput) });
cases.push({ name: 'memory copy', ...perMebibyte, run: () => crcInput.copy(copyTarget) });

// ---------------------------------------------------------------------------------------------------------
// Run

const cpuList = cpus();
write('# @sluice/protocol benchmark');
write(
  `command: pnpm --filter @sluice/protocol bench --rounds ${ROUNDS} --records-per-batch ${RECORDS_PER_BATCH} --seed ${SEED}${QUICK ? ' --quick' : ''}`,
);
write(
  `machine: ${cpuList[0]?.model ?? 'unknown cpu'}, ${cpuList.length} cores, node ${process.version}, ` +
    `${process.platform}/${process.arch}, load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
);
write(
  `batches of ${RECORDS_PER_BATCH} records of ${RECORD_VALUE_BYTES}-byte values; ${ROUNDS} rounds (after a warm-up), ` +
    `each case at least ${CASE_MS} ms per round; figures are medians; MB = 10^6 bytes of record values`,
);
write(
  `encoded batch bytes: ${CODECS.map((compression) => `${compression} ${encodedSizes.get(compression)}`).join(', ')}`,
);
write();

for (const testCase of cases) await measure(testCase); // warm-up: JIT, lazy codec loading

const secondsPerRun = new Map<string, number[]>(cases.map((testCase) => [testCase.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const testCase of cases) secondsPerRun.get(testCase.name)!.push(await measure(testCase));
}
const medianSeconds = new Map([...secondsPerRun].map(([name, samples]) => [name, median(samples)]));

const rows: string[][] = [['case', 'records/s', 'MB/s', 'µs/batch', 'spread (min-max µs)']];
for (const testCase of cases) {
  if (testCase.name.includes('crc') || testCase.name.includes('copy')) continue;
  const seconds = medianSeconds.get(testCase.name)!;
  const samples = secondsPerRun.get(testCase.name)!;
  rows.push([
    testCase.name,
    formatRate(testCase.unitsPerRun / seconds),
    (testCase.bytesPerRun / seconds / 1e6).toFixed(0),
    (seconds * 1e6).toFixed(0),
    `${(Math.min(...samples) * 1e6).toFixed(0)}-${(Math.max(...samples) * 1e6).toFixed(0)}`,
  ]);
}
rows.push([]);
rows.push(['checksum over 1 MiB', '', 'MB/s', 'µs/MiB', 'spread (min-max µs)']);
for (const testCase of cases) {
  if (!testCase.name.includes('crc') && !testCase.name.includes('copy')) continue;
  const seconds = medianSeconds.get(testCase.name)!;
  const samples = secondsPerRun.get(testCase.name)!;
  rows.push([
    testCase.name,
    '',
    (testCase.bytesPerRun / seconds / 1e6).toFixed(0),
    (seconds * 1e6).toFixed(1),
    `${(Math.min(...samples) * 1e6).toFixed(1)}-${(Math.max(...samples) * 1e6).toFixed(1)}`,
  ]);
}
const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
for (const row of rows)
  write(
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );

write();
write('ratios in this run (higher is better for Sluice):');
for (const compression of ['none', 'gzip']) {
  for (const operation of ['encode', 'decode']) {
    const sluice = medianSeconds.get(`sluice ${operation} ${compression}`)!;
    const kafkajs = medianSeconds.get(`kafkajs ${operation} ${compression}`)!;
    write(`  ${operation} ${compression}: Sluice is ${(kafkajs / sluice).toFixed(2)}x kafkajs's throughput`);
  }
}
const crcSeconds = medianSeconds.get(`crc32c (${crc32cImplementation})`)!;
write(
  `  crc32c (${crc32cImplementation}) runs at ${(medianSeconds.get('memory copy')! / crcSeconds).toFixed(2)}x the speed of a memory copy, ` +
    `${(medianSeconds.get('zlib crc32 (IEEE)')! / crcSeconds).toFixed(2)}x zlib's CRC-32, ` +
    `${(medianSeconds.get('crc32c portable')! / crcSeconds).toFixed(2)}x the portable CRC-32C`,
);
const batchBytes = encodedSizes.get('none')!;
const crcPerBatchSeconds = (crcSeconds * batchBytes) / CRC_INPUT_BYTES;
write(
  `  the CRC of one uncompressed ${batchBytes}-byte batch takes ${(crcPerBatchSeconds * 1e6).toFixed(1)} µs: ` +
    `${((100 * crcPerBatchSeconds) / medianSeconds.get('sluice decode none')!).toFixed(1)}% of decoding it, ` +
    `${((100 * crcPerBatchSeconds) / medianSeconds.get('sluice encode none')!).toFixed(1)}% of encoding it`,
);
