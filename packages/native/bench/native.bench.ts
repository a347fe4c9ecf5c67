/**
 * Throughput of @sluice/native: CRC-32C with the CPU's method (AVX-512 folding where the CPU has it), the
 * three-stream crc32 instruction and the addon's tables, against @node-rs/crc32 (one crc32 instruction
 * stream) and a memory copy as baselines measured in the same run; the native record walk in ns per
 * record; and a batch's whole validation (CRC-32C of [attributes, end) and walk) done apart, as
 * @sluice/log did before, against the fused validateBatch on one thread and split with the helper
 * thread, with the helper's counters (how often it started in time, how long the caller waited).
 *
 *   pnpm --filter @sluice/native bench [--quick]
 *
 * Every round runs each case for at least CASE_MS, cases interleaved; figures are medians over rounds
 * (the machine is shared and noisy), comparisons are ratios within the run. Inputs come from a seeded
 * generator, so every run measures the same bytes.
 */
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { median, seededRandom } from '@sluice/test-support';
import {
  nativeAvailable,
  nativeCrc32c,
  nativeCrc32cInstruction,
  nativeCrc32cMethod,
  nativeCrc32cTable,
  nativeValidateBatch,
  nativeValidationStatistics,
  nativeWalkRecords,
  setNativeSplit,
} from '../src/index.js';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 3 : 9;
const CASE_MS = QUICK ? 20 : 200;
const SEED = 2024;
const SIZES_BYTES = [16 * 1024, 1024 * 1024];
/** Batches per size, used in turn, so that validation reads memory as an append would (8 MiB of 1 MiB). */
const BATCHES_PER_SIZE = 8;
const RECORD_VALUE_BYTES = 100;

function write(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function randomBytes(length: number, next: () => number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
}

function pushVarint(out: number[], value: number): void {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0;
  while (raw >= 0x80) {
    out.push((raw & 0x7f) | 0x80);
    raw >>>= 7;
  }
  out.push(raw);
}

/** A batch (61-byte header, left zero: the walk does not read it) of records with 100-byte values. */
function recordBatch(targetBytes: number, next: () => number): { batch: Buffer; recordCount: number } {
  const parts: Buffer[] = [Buffer.alloc(61)];
  let sizeBytes = 61;
  let recordCount = 0;
  for (;;) {
    const fields: number[] = [0];
    pushVarint(fields, recordCount); // timestampDelta (as a varint: same bytes as a small varlong)
    pushVarint(fields, recordCount); // offsetDelta
    pushVarint(fields, -1); // no key
    pushVarint(fields, RECORD_VALUE_BYTES);
    const head: number[] = [];
    pushVarint(head, fields.length + RECORD_VALUE_BYTES + 1);
    const record = Buffer.concat([
      Buffer.from([...head, ...fields]),
      randomBytes(RECORD_VALUE_BYTES, next),
      Buffer.from([0]),
    ]);
    if (sizeBytes + record.length > targetBytes) break;
    parts.push(record);
    sizeBytes += record.length;
    recordCount++;
  }
  return { batch: Buffer.concat(parts), recordCount };
}

/** Seconds per call of `run`, running it for at least CASE_MS. */
function time(run: () => unknown): number {
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 16; i++) run();
    calls += 16;
    elapsed = performance.now() - started;
  } while (elapsed < CASE_MS);
  return elapsed / 1000 / calls;
}

if (!nativeAvailable) {
  write('The @sluice/native addon is not available on this machine: nothing to measure.');
  process.exit(0);
}
const nodeRs = createRequire(import.meta.url)('@node-rs/crc32') as {
  crc32c: (input: Buffer, initial?: number) => number;
};

write('# @sluice/native benchmark');
write(`command: pnpm --filter @sluice/native bench${QUICK ? ' --quick' : ''}`);
write(
  `machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, node ${process.version}, ${process.platform}/${process.arch}, ` +
    `load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
);
write(
  `seed ${SEED}; ${ROUNDS} rounds (after a warm-up), each case at least ${CASE_MS} ms per round; medians`,
);
write();

const next = seededRandom(SEED);
for (const sizeBytes of SIZES_BYTES) {
  const input = randomBytes(sizeBytes, next);
  const target = Buffer.allocUnsafe(sizeBytes);
  const batches = Array.from({ length: BATCHES_PER_SIZE }, () => recordBatch(sizeBytes, next));
  const { batch, recordCount } = batches[0];
  let turn = 0;
  /** Runs `validate` on the next batch in turn. */
  const eachBatch = (validate: (batch: Buffer, recordCount: number) => unknown) => () => {
    const next = batches[turn++ % BATCHES_PER_SIZE];
    return validate(next.batch, next.recordCount);
  };
  const details = new Float64Array(4);
  const separate = eachBatch((b, count) => {
    nativeCrc32cInstruction!(b, 21, b.length, 0);
    return nativeWalkRecords!(b, 0, b.length, count, false, details);
  });
  const fused = eachBatch((b, count) => nativeValidateBatch!(b, 0, b.length, count, false, details));
  const cases: [string, () => unknown][] = [
    [`crc32c @sluice/native (${nativeCrc32cMethod})`, () => nativeCrc32c!(input, 0, sizeBytes, 0)],
    ['crc32c @sluice/native crc32 instruction', () => nativeCrc32cInstruction!(input, 0, sizeBytes, 0)],
    ['crc32c @sluice/native tables', () => nativeCrc32cTable!(input, 0, sizeBytes, 0)],
    ['crc32c @node-rs/crc32', () => nodeRs.crc32c(input)],
    ['memory copy', () => input.copy(target)],
    [
      `record walk (${recordCount} records)`,
      () => nativeWalkRecords!(batch, 0, batch.length, recordCount, false, details),
    ],
    ['validation apart: crc32 instruction + walk', separate],
    [
      'validateBatch, one thread',
      () => {
        setNativeSplit('never');
        return fused();
      },
    ],
    [
      'validateBatch, split when the helper is free',
      () => {
        setNativeSplit('when-free');
        return fused();
      },
    ],
  ];
  if (nativeCrc32c!(input, 0, sizeBytes, 0) !== nodeRs.crc32c(input) >>> 0)
    throw new Error('CRC-32C results differ');
  if (nativeWalkRecords!(batch, 0, batch.length, recordCount, false, details) !== 0)
    throw new Error('walk failed');
  for (const each of batches) {
    if (nativeValidateBatch!(each.batch, 0, each.batch.length, each.recordCount, false, details) !== 0)
      throw new Error('validation failed');
    if (details[3] !== nativeCrc32cInstruction!(each.batch, 21, each.batch.length, 0))
      throw new Error('validation CRC-32C differs');
  }
  for (const [, run] of cases) time(run);
  const helperBefore = nativeValidationStatistics()!;
  const seconds = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of cases) seconds.get(name)!.push(time(run));
  }
  const helper = nativeValidationStatistics()!;
  write(`## ${sizeBytes} bytes`);
  write(`${'case'.padEnd(40)} ${'GB/s'.padStart(8)} ${'µs/call'.padStart(9)}`);
  for (const [name] of cases) {
    const callSeconds = median(seconds.get(name)!);
    write(
      `${name.padEnd(40)} ${(sizeBytes / callSeconds / 1e9).toFixed(2).padStart(8)} ${(callSeconds * 1e6).toFixed(2).padStart(9)}`,
    );
  }
  const best = median(seconds.get(cases[0][0])!);
  const ratio = (name: string, to: number) => (median(seconds.get(name)!) / to).toFixed(2);
  write(
    `ratios: @sluice/native is ${ratio('crc32c @node-rs/crc32', best)}x @node-rs/crc32, ` +
      `${ratio('crc32c @sluice/native crc32 instruction', best)}x its crc32 instruction, ` +
      `${ratio('crc32c @sluice/native tables', best)}x its tables, ` +
      `${ratio('memory copy', best)}x the speed of a memory copy; ` +
      `the walk takes ${((median(seconds.get(cases[5][0])!) / recordCount) * 1e9).toFixed(2)} ns per record`,
  );
  write(
    `validation: validateBatch on one thread is ${ratio('validation apart: crc32 instruction + walk', median(seconds.get('validateBatch, one thread')!))}x ` +
      `the speed of the separate passes; split when the helper is free, ${ratio('validation apart: crc32 instruction + walk', median(seconds.get('validateBatch, split when the helper is free')!))}x`,
  );
  const splits = helper.splits - helperBefore.splits;
  if (splits > 0) {
    const posts = helper.helperPosts - helperBefore.helperPosts;
    const started = posts - (helper.helperTakenBack - helperBefore.helperTakenBack);
    const waits = helper.helperWaits - helperBefore.helperWaits;
    write(
      `helper thread: ${splits} splits; it started ${started} of ${posts} second parts in time ` +
        `(mean delay ${((helper.helperStartDelayNs - helperBefore.helperStartDelayNs) / 1e3 / Math.max(1, started)).toFixed(1)} µs, ` +
        `${helper.helperWakeups - helperBefore.helperWakeups} wake-ups), guessed ${helper.guessesTaken - helperBefore.guessesTaken} record starts right ` +
        `and ${helper.guessesMissed - helperBefore.guessesMissed} not; the caller waited for it ${waits} times ` +
        `(mean ${((helper.helperWaitNs - helperBefore.helperWaitNs) / 1e3 / Math.max(1, waits)).toFixed(1)} µs); ` +
        `${helper.backoffs - helperBefore.backoffs} back-offs (32 batches on one thread after a split that went badly)`,
    );
  }
  write();
}
