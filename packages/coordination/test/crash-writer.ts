/**
 * A process that writes to an embedded store as fast as it can until it is killed, for the crash test.
 * Usage: crash-writer.ts <directory> <round> <seed>
 * Prints `put <n>` once the put of key /crash/<round>/<n> is acknowledged, and `counter <v>` once the
 * compare-and-set raising /crash/counter to v is.
 */
import { seededRandom } from '@sluice/test-support';
import { EmbeddedStore } from '../src/embedded-store.js';
import { crashValue } from './crash-value.js';

const [directory, round, seedText] = process.argv.slice(2);
const random = seededRandom(Number(seedText));

const store = await EmbeddedStore.open({ directory, logCompactionBytes: 16 * 1024 });
let next = 0;

async function putForever(): Promise<never> {
  for (;;) {
    const index = next++;
    await store.put(`/crash/${round}/${index}`, Buffer.from(crashValue(round, index)));
    process.stdout.write(`put ${index}\n`);
  }
}

async function countForever(): Promise<never> {
  for (;;) {
    const current = await store.get('/crash/counter');
    const value = current === null ? 0 : Number(Buffer.from(current.value).toString());
    const result = await store.txn({
      compare: [{ key: '/crash/counter', target: 'modRevision', op: '=', value: current?.modRevision ?? 0 }],
      success: [{ type: 'put', key: '/crash/counter', value: Buffer.from(String(value + 1)) }],
    });
    if (result.succeeded) process.stdout.write(`counter ${value + 1}\n`);
    if (random() < 0.1) await new Promise((resolve) => setImmediate(resolve));
  }
}

await Promise.all([putForever(), putForever(), putForever(), putForever(), countForever(), countForever()]);
