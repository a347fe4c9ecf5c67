/**
 * The producer's hot path: records appended one by one into a batch buffer taken from the pool
 * (ProducerBatch.tryAppend, which sizes and encodes each record in place), the batch closed and stamped
 * with its producer id, sequence and CRC, as the sender does before a Produce request.
 *
 *   pnpm --filter @sluice/producer bench [--rounds 7] [--records 200000] [--seed 1] [--quick]
 *
 * Cases, interleaved in every round (the machine is shared and noisy: figures are medians over rounds, and
 * the comparison is a ratio within the run):
 * - append 100-byte values, null keys, no headers, into 16 KiB batches (batch.size's default), uncompressed;
 * - the same with 16-byte keys and two headers per record;
 * - baseline: copying the same values into one buffer (the memory traffic any encoder must do), so
 *   `ratio` = records/s of the case / records/s of the copy.
 */
import { cpus, loadavg } from 'node:os';
import { parseBenchFlags, seededRandom } from '@sluice/test-support';
import {
  fieldBytes,
  headersBytes,
  ProducerBatch,
  type RecordHeaderInput,
  type RecordMetadata,
  type SendOperation,
} from '../src/producer-batch.js';

const {
  quick: QUICK,
  rounds: ROUNDS,
  records: RECORDS,
  seed: SEED,
} = parseBenchFlags({ rounds: 7, records: 200_000, seed: 1, quickRecords: 20_000 });
const VALUE_BYTES = 100;
const KEY_BYTES = 16;
const BATCH_BYTES = 16_384;
/** Each case runs for at least this long per round. */
const CASE_MS = QUICK ? 50 : 400;

function write(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function randomBuffers(count: number, byteLength: number, next: () => number): Buffer[] {
  return Array.from({ length: count }, () => {
    const buffer = Buffer.allocUnsafe(byteLength);
    for (let i = 0; i < byteLength; i++) buffer[i] = 0x20 + Math.floor(next() * 95);
    return buffer;
  });
}

const next = seededRandom(SEED);
const values = randomBuffers(RECORDS, VALUE_BYTES, next);
const keys = randomBuffers(RECORDS, KEY_BYTES, next);
const headers: RecordHeaderInput[] = [
  { key: 'trace-id', value: 'c0ffee00-1234-5678-9abc-def012345678' },
  { key: 'source', value: Buffer.from('bench') },
];
const timestampMs = 1_700_000_000_000;

/** The pool's buffers: batches reuse them, as the producer's BufferPool does. */
const buffers = Array.from({ length: 4 }, () => Buffer.alloc(BATCH_BYTES));

function operation(count: number): SendOperation {
  return {
    results: new Array<RecordMetadata>(count),
    remainingSegments: 0,
    settled: false,
    resolve: () => {},
    reject: () => {},
  };
}

/** Appends every record as one send; returns the number of batches written. */
function appendAll(withKeysAndHeaders: boolean): number {
  const send = operation(RECORDS);
  let batches = 0;
  let batch = new ProducerBatch('bench', 0, buffers[0], 0);
  const recordHeaders = withKeysAndHeaders ? headers : null;
  const headerBytes = headersBytes(recordHeaders);
  for (let i = 0; i < RECORDS; i++) {
    const key = withKeysAndHeaders ? keys[i] : null;
    const value = values[i];
    const keyBytes = fieldBytes(key);
    const valueBytes = fieldBytes(value);
    while (
      !batch.tryAppend(timestampMs + i, key, keyBytes, value, valueBytes, recordHeaders, headerBytes, send, i)
    ) {
      batch.close('none');
      batch.stamp(1000n, 0, batches);
      batches++;
      batch = new ProducerBatch('bench', 0, buffers[batches % buffers.length], 0);
    }
  }
  batch.close('none');
  batch.stamp(1000n, 0, batches);
  return batches + 1;
}

const copyTarget = Buffer.allocUnsafe(RECORDS * VALUE_BYTES);
function copyValues(): number {
  let position = 0;
  for (const value of values) position += value.copy(copyTarget, position);
  return position;
}

interface Case {
  readonly name: string;
  readonly run: () => number;
}

const cases: Case[] = [
  { name: 'append, null keys, no headers', run: () => appendAll(false) },
  { name: 'append, 16-byte keys, 2 headers', run: () => appendAll(true) },
  { name: 'baseline: copy the values', run: copyValues },
];

/** Runs a case repeatedly for at least CASE_MS; returns records per second. */
function measure(testCase: Case): number {
  let runs = 0;
  const start = performance.now();
  let elapsedMs = 0;
  do {
    testCase.run();
    runs++;
    elapsedMs = performance.now() - start;
  } while (elapsedMs < CASE_MS);
  return (runs * RECORDS) / (elapsedMs / 1000);
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const cpuList = cpus();
write('# @sluice/producer batch encoding benchmark');
write(
  `command: pnpm --filter @sluice/producer bench --rounds ${ROUNDS} --records ${RECORDS} --seed ${SEED}${QUICK ? ' --quick' : ''}`,
);
write(
  `machine: ${cpuList[0]?.model ?? 'unknown cpu'}, ${cpuList.length} cores, node ${process.version}, ` +
    `${process.platform}/${process.arch}, load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
);
write(
  `${RECORDS} records of ${VALUE_BYTES}-byte values into ${BATCH_BYTES}-byte batches, uncompressed; ` +
    `${ROUNDS} rounds after a warm-up, each case at least ${CASE_MS} ms per round; medians`,
);
write();

for (const testCase of cases) measure(testCase);
const samples = new Map<string, number[]>(cases.map((testCase) => [testCase.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const testCase of cases) samples.get(testCase.name)!.push(measure(testCase));
}
const baseline = median(samples.get('baseline: copy the values')!);
write('| case | records/s (median) | min | max | ratio to the copy |');
write('| --- | ---: | ---: | ---: | ---: |');
for (const testCase of cases) {
  const list = samples.get(testCase.name)!;
  const format = (value: number) => `${(value / 1e6).toFixed(2)} M`;
  write(
    `| ${testCase.name} | ${format(median(list))} | ${format(Math.min(...list))} | ${format(Math.max(...list))} | ${(median(list) / baseline).toFixed(3)} |`,
  );
}
