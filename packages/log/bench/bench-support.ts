import os from 'node:os';
import { seededRandom } from '@sluice/test-support';
import { encodeBatch, encodeRecord, type TestRecord } from '../test/record-batch-builder.js';

/** Shared by the benchmarks of @sluice/log: machine description, seeded batches, output. */

export const QUICK = process.argv.includes('--quick') || process.env.SLUICE_BENCH_QUICK === '1';
export const SEED = Number(process.env.SLUICE_BENCH_SEED ?? 1126);

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printHeader(title: string, rerun: string): void {
  const cpus = os.cpus();
  print(`# ${title}`);
  print(`rerun:   ${rerun}${QUICK ? ' --quick' : ''}`);
  print(
    `machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`,
  );
  print(`seed:    ${SEED}${QUICK ? ' (quick sizes)' : ''}`);
  print();
}

export function megabytesPerSecond(bytes: number, elapsedMs: number): number {
  return bytes / 2 ** 20 / (elapsedMs / 1000);
}

export function fixed(value: number, digits = 1): string {
  return value.toFixed(digits);
}

/**
 * A record batch of about `targetBytes` holding records with `valueBytes`-byte values (no key), filled
 * from a seeded PRNG so the bytes are not trivially compressible or repeated.
 */
export function makeBatch(targetBytes: number, valueBytes: number, random: () => number): Buffer {
  const records: TestRecord[] = [];
  let sizeBytes = 61;
  for (;;) {
    const value = Buffer.allocUnsafe(valueBytes);
    for (let j = 0; j < valueBytes; j++) value[j] = Math.floor(random() * 256);
    const record: TestRecord = { key: null, value };
    const recordBytes = encodeRecord(record, records.length).length;
    if (records.length > 0 && sizeBytes + recordBytes > targetBytes) break;
    records.push(record);
    sizeBytes += recordBytes;
  }
  return encodeBatch({ records });
}

export function makeBatches(count: number, targetBytes: number, valueBytes: number, seed = SEED): Buffer[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => makeBatch(targetBytes, valueBytes, random));
}
