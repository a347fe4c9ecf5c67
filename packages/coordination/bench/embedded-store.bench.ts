/**
 * Write throughput and recovery time of the embedded coordination store, against the floor set by the
 * disk: the same frames written and fdatasync'd one by one with no store around them, measured in the
 * same run on the same directory.
 *
 *   pnpm --filter @sluice/coordination bench [-- --rounds 5 --operations 2000 --seed 1]
 *   pnpm --filter @sluice/coordination bench -- --small      (a quick run that keeps the script from rotting)
 *
 * Prints the median of each figure over the rounds, and the machine it ran on.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { crc32cImplementation } from '@sluice/protocol';
import { median, seededRandom } from '@sluice/test-support';
import { EmbeddedStore } from '../src/embedded-store.js';
import { encodeFrame } from '../src/log-frame.js';
import { packRecord } from '../src/record-codec.js';

/** pnpm passes a literal `--` through to the script; it separates nothing here. */
const argumentList = process.argv.slice(2).filter((argument) => argument !== '--');
const { values: options } = parseArgs({
  args: argumentList,
  options: {
    rounds: { type: 'string', default: '5' },
    operations: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
    window: { type: 'string', default: '64' },
    small: { type: 'boolean', default: false },
  },
});
const rounds = options.small ? 1 : Number(options.rounds);
const operations = options.small ? 100 : Number(options.operations);
const window = Number(options.window);
const seed = Number(options.seed);

interface Workload {
  keys: string[];
  values: Uint8Array[];
}

function workload(count: number, seedValue: number): Workload {
  const random = seededRandom(seedValue);
  const keys: string[] = [];
  const values: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    keys.push(`/sluice/bench/partitions/topic-${Math.floor(random() * 100)}/${Math.floor(random() * 1000)}`);
    const value = new Uint8Array(16 + Math.floor(random() * 240));
    for (let byte = 0; byte < value.length; byte++) value[byte] = Math.floor(random() * 256);
    values.push(value);
  }
  return { keys, values };
}

async function inTemporaryDirectory<T>(body: (directory: string) => Promise<T>): Promise<T> {
  const directory = await mkdtemp(join(tmpdir(), 'sluice-coordination-bench-'));
  try {
    return await body(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** The floor: each operation's frame written and fdatasync'd by itself, nothing else. */
async function rawSequential(work: Workload): Promise<number> {
  return inTemporaryDirectory(async (directory) => {
    const frames = work.keys.map((key, index) =>
      encodeFrame(
        packRecord({
          index,
          revision: index + 2,
          operation: { type: 'put', key, value: work.values[index], lease: null },
        }),
      ),
    );
    const handle = await open(join(directory, 'raw.log'), 'w');
    let position = 0;
    const started = performance.now();
    for (const frame of frames) {
      await handle.write(frame, 0, frame.length, position);
      await handle.datasync();
      position += frame.length;
    }
    const elapsedMs = performance.now() - started;
    await handle.close();
    return (frames.length / elapsedMs) * 1000;
  });
}

async function storeSequential(work: Workload): Promise<number> {
  return inTemporaryDirectory(async (directory) => {
    const store = await EmbeddedStore.open({ directory });
    const started = performance.now();
    for (let index = 0; index < work.keys.length; index++)
      await store.put(work.keys[index], work.values[index]);
    const elapsedMs = performance.now() - started;
    await store.close();
    return (work.keys.length / elapsedMs) * 1000;
  });
}

/** `window` puts in flight at all times; returns operations per second and fdatasyncs per operation. */
async function storeConcurrent(
  work: Workload,
): Promise<{ operationsPerSecond: number; syncsPerOperation: number }> {
  return inTemporaryDirectory(async (directory) => {
    const store = await EmbeddedStore.open({ directory });
    const syncsBefore = store.statistics.logSyncCount;
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < work.keys.length) {
        const index = next++;
        await store.put(work.keys[index], work.values[index]);
      }
    };
    await Promise.all(Array.from({ length: window }, worker));
    const elapsedMs = performance.now() - started;
    const syncs = store.statistics.logSyncCount - syncsBefore;
    await store.close();
    return {
      operationsPerSecond: (work.keys.length / elapsedMs) * 1000,
      syncsPerOperation: syncs / work.keys.length,
    };
  });
}

/** Compare-and-set on one partition key, one after another, as a controller updating partition state. */
async function storeCompareAndSet(work: Workload): Promise<number> {
  return inTemporaryDirectory(async (directory) => {
    const store = await EmbeddedStore.open({ directory });
    const key = '/sluice/bench/partitions/topic/0';
    let modRevision = (await store.put(key, work.values[0])).revision;
    const started = performance.now();
    for (let index = 0; index < work.keys.length; index++) {
      const result = await store.txn({
        compare: [{ key, target: 'modRevision', op: '=', value: modRevision }],
        success: [{ type: 'put', key, value: work.values[index] }],
      });
      if (!result.succeeded) throw new Error('compare-and-set lost with no competitor');
      modRevision = result.revision;
    }
    const elapsedMs = performance.now() - started;
    await store.close();
    return (work.keys.length / elapsedMs) * 1000;
  });
}

/** Time to open a store whose log holds every operation of the workload (no snapshot yet). */
async function replay(work: Workload): Promise<number> {
  return inTemporaryDirectory(async (directory) => {
    const writer = await EmbeddedStore.open({ directory, logCompactionBytes: Number.MAX_SAFE_INTEGER });
    await Promise.all(work.keys.map((key, index) => writer.put(key, work.values[index])));
    await writer.close();
    const started = performance.now();
    const reader = await EmbeddedStore.open({ directory });
    const elapsedMs = performance.now() - started;
    await reader.close();
    return elapsedMs;
  });
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

const format = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const samples = {
    raw: [] as number[],
    sequential: [] as number[],
    concurrent: [] as number[],
    syncsPerOperation: [] as number[],
    compareAndSet: [] as number[],
    replayMs: [] as number[],
    sequentialRatio: [] as number[],
    concurrentRatio: [] as number[],
  };
  // Warm-up, not counted: JIT, file system caches and the first fdatasync of a fresh file.
  const warmUp = workload(100, seed - 1);
  await rawSequential(warmUp);
  await storeSequential(warmUp);
  await storeConcurrent(warmUp);
  for (let round = 0; round < rounds; round++) {
    const work = workload(operations, seed + round);
    const raw = await rawSequential(work);
    const sequential = await storeSequential(work);
    const concurrent = await storeConcurrent(work);
    samples.raw.push(raw);
    samples.sequential.push(sequential);
    samples.concurrent.push(concurrent.operationsPerSecond);
    samples.syncsPerOperation.push(concurrent.syncsPerOperation);
    samples.compareAndSet.push(await storeCompareAndSet(work));
    samples.replayMs.push(await replay(work));
    samples.sequentialRatio.push(sequential / raw);
    samples.concurrentRatio.push(concurrent.operationsPerSecond / raw);
  }

  const cpu = cpus();
  const argv = argumentList.join(' ');
  print(`command: pnpm --filter @sluice/coordination bench${argv ? ` -- ${argv}` : ''}`);
  print(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, node ${process.version}, ${process.platform}; ` +
      `crc32c ${crc32cImplementation}; temp dir ${tmpdir()}`,
  );
  print(
    `workload: ${operations} puts of 16-255 byte values, seed ${seed}, ${rounds} round(s), medians below`,
  );
  print('');
  print(`raw write+fdatasync per frame (baseline)   ${format(median(samples.raw)).padStart(10)} ops/s`);
  print(
    `store put, one at a time                   ${format(median(samples.sequential)).padStart(10)} ops/s   ` +
      `${format(median(samples.sequentialRatio), 2)}x baseline`,
  );
  print(
    `store put, ${String(window).padEnd(3)} in flight (group commit)    ${format(median(samples.concurrent)).padStart(10)} ops/s   ` +
      `${format(median(samples.concurrentRatio), 2)}x baseline, ${format(median(samples.syncsPerOperation), 3)} fdatasync/op`,
  );
  print(
    `store compare-and-set txn, one at a time   ${format(median(samples.compareAndSet)).padStart(10)} ops/s`,
  );
  print(
    `open + replay of ${operations} logged puts          ${format(median(samples.replayMs), 1).padStart(10)} ms`,
  );
}

await main();
