import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedStore } from '../src/embedded-store.js';
import { crashValue } from './crash-value.js';

/**
 * Kills a process that is writing to an embedded store (SIGKILL, at a point chosen by a seeded random
 * number) several times in a row, and checks after each crash that every write it acknowledged is there.
 * With a 16 KiB compaction threshold the kills also land during snapshots. A SIGKILL leaves what reached
 * the page cache, so this tests recovery logic (torn records, snapshot/log handover), not the disk.
 */
const ROUNDS = 6;
const SEED = 20_261_126;
const writer = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
let directory = '';

afterAll(async () => {
  if (directory !== '') await rm(directory, { recursive: true, force: true });
});

/** Runs the writer until it has acknowledged `acknowledgements` writes, then kills it. */
async function runAndKill(
  round: number,
  acknowledgements: number,
): Promise<{ puts: number[]; counter: number }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', writer, directory, String(round), String(SEED + round)],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const puts: number[] = [];
  let counter = 0;
  let buffered = '';
  let seen = 0;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [kind, number] = line.split(' ');
      if (kind === 'put') puts.push(Number(number));
      else if (kind === 'counter') counter = Math.max(counter, Number(number));
      seen += 1;
      if (seen === acknowledgements) child.kill('SIGKILL');
    }
  });
  await exited;
  expect(seen).toBeGreaterThanOrEqual(acknowledgements);
  return { puts, counter };
}

describe('EmbeddedStore crash recovery', () => {
  it('keeps every acknowledged write through repeated SIGKILLs of the writing process', async () => {
    directory = await mkdtemp(join(tmpdir(), 'sluice-coordination-crash-'));
    let random = SEED;
    const acknowledged: { round: number; puts: number[] }[] = [];
    let counterAcknowledged = 0;
    for (let round = 0; round < ROUNDS; round++) {
      random = (Math.imul(random, 1_103_515_245) + 12_345) >>> 0;
      const result = await runAndKill(round, 200 + (random % 2000));
      acknowledged.push({ round, puts: result.puts });
      counterAcknowledged = Math.max(counterAcknowledged, result.counter);

      const store = await EmbeddedStore.open({ directory });
      try {
        for (const { round: earlier, puts } of acknowledged) {
          const { kvs } = await store.getPrefix(`/crash/${earlier}/`);
          const present = new Map(kvs.map((kv) => [kv.key, Buffer.from(kv.value).toString()]));
          for (const index of puts) {
            expect(present.get(`/crash/${earlier}/${index}`)).toBe(crashValue(String(earlier), index));
          }
          for (const [key, value] of present) {
            const index = Number(key.split('/').pop());
            expect(value).toBe(crashValue(String(earlier), index));
          }
        }
        const counter = await store.get('/crash/counter');
        expect(Number(Buffer.from(counter?.value ?? []).toString())).toBeGreaterThanOrEqual(
          counterAcknowledged,
        );
        expect(counter?.version).toBe(Number(Buffer.from(counter?.value ?? []).toString()));
      } finally {
        await store.close();
      }
    }
    // Six writer processes, each starting tsx and fsyncing up to ~2,200 writes: minutes on a loaded machine.
  }, 240_000);
});
