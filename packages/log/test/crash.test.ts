import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@sluice/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOG_CONFIG, Log } from '../src/index.js';
import { decodeRecords, summarizeBatches, valueForOffset } from './record-batch-builder.js';
import { makeTempDirectory, removeTempDirectory, testLogger } from './temp-directory.js';

/**
 * kill -9 at random moments while a child appends with flush-before-acknowledge; after each kill the log
 * is reopened (recovery) and must be a prefix of what was written, hold every acknowledged batch, and
 * serve no corrupt byte. The child also resumes from the recovered log, so recovery errors compound.
 */

const ROUNDS = Number(process.env.SLUICE_CRASH_ROUNDS ?? 30);
const SEED = Number(process.env.SLUICE_CRASH_SEED ?? 20251126);
const here = path.dirname(fileURLToPath(import.meta.url));

interface RoundResult {
  acknowledgedEnd: number;
  exitSignal: NodeJS.Signals | null;
  exitCode: number | null;
  stderr: string;
}

/**
 * Runs the child and kills it `killAfterMs` after it is ready (appending), or, with `fromSpawn`, that long
 * after it was started, which may land in its start-up and recovery.
 */
function runChild(
  directory: string,
  seed: number,
  concurrency: number,
  killAfterMs: number,
  fromSpawn: boolean,
): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'crash-appender.ts'), directory, String(seed), String(concurrency)],
      { cwd: path.join(here, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let acknowledgedEnd = 0;
    let pending = '';
    if (fromSpawn) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    let stderr = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, first, last] = line.split(' ');
        if (kind === 'ready' && !fromSpawn) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        if (kind === 'ack') acknowledgedEnd = Math.max(acknowledgedEnd, Number(last) + 1);
        void first;
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (exitCode, exitSignal) => resolve({ acknowledgedEnd, exitCode, exitSignal, stderr }));
  });
}

/** Reopens the log and checks every byte it serves. Returns its log end offset. */
async function verify(directory: string, acknowledgedEnd: number): Promise<number> {
  const log = await Log.open({
    directory,
    topic: 'crash',
    partition: 0,
    config: { ...DEFAULT_LOG_CONFIG, segmentBytes: 48 * 1024, indexIntervalBytes: 512 },
    hadCleanShutdown: false,
    logger: testLogger,
  });
  try {
    expect(log.logEndOffset).toBeGreaterThanOrEqual(acknowledgedEnd);
    let expected = 0;
    while (expected < log.logEndOffset) {
      const { records } = log.read(expected, { maxBytes: 256 * 1024, minOneMessage: true });
      expect(records.length).toBeGreaterThan(0);
      let at = 0;
      for (const batch of summarizeBatches(records)) {
        expect(batch.crcValid).toBe(true);
        expect(batch.baseOffset).toBe(expected);
        for (const record of decodeRecords(records, at)) {
          expect(record.offset).toBe(expected);
          expect(record.value?.equals(valueForOffset(expected))).toBe(true);
          expected++;
        }
        at += batch.sizeBytes;
      }
    }
    expect(expected).toBe(log.logEndOffset);
    return log.logEndOffset;
  } finally {
    await log.close();
  }
}

describe('crash safety', () => {
  let directory: string;
  beforeAll(() => {
    directory = path.join(makeTempDirectory('sluice-crash-'), 'crash-0');
  });
  afterAll(() => removeTempDirectory(path.dirname(directory)));

  it(`keeps every acknowledged batch and serves only whole, valid batches across ${ROUNDS} kill -9 rounds`, async () => {
    const random = seededRandom(SEED);
    let previousEnd = 0;
    let totalAcknowledged = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const concurrency = [1, 4, 16][round % 3];
      // every fifth round the kill is timed from the start, and may hit start-up and recovery
      const fromSpawn = round % 5 === 4;
      const killAfterMs = Math.floor(random() * (fromSpawn ? 900 : 120));
      const result = await runChild(
        directory,
        Math.floor(random() * 2 ** 31),
        concurrency,
        killAfterMs,
        fromSpawn,
      );
      expect(result.stderr).toBe('');
      expect(result.exitSignal).toBe('SIGKILL');
      const end = await verify(directory, result.acknowledgedEnd);
      // the log never loses what an earlier round left in it
      expect(end).toBeGreaterThanOrEqual(previousEnd);
      totalAcknowledged += Math.max(0, result.acknowledgedEnd - previousEnd);
      previousEnd = end;
    }
    expect(totalAcknowledged).toBeGreaterThan(0);
  }, 120_000);
});
