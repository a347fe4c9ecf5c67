import { copyFile, mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeyValue, WatchEvent } from './coordination-store.js';
import { EmbeddedStore } from './embedded-store.js';
import {
  CompactedRevisionError,
  InvalidRequestError,
  LeaseNotFoundError,
  StoreCorruptError,
  StoreFailedError,
} from './errors.js';
import { ManualClock } from './manual-clock.js';
import { LOG_HEADER_BYTES } from './operation-log.js';
import { describeCoordinationStore } from './store-conformance.js';

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);

describeCoordinationStore('EmbeddedStore', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'sluice-coordination-'));
  const clock = new ManualClock();
  const store = await EmbeddedStore.open({ directory, clock, timers: clock });
  return {
    store,
    leaseTtlMs: 1000,
    elapse: (durationMs) => clock.advance(durationMs),
    compact: (revision) => store.compact(revision),
    dispose: async () => {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
});

/** Temp directories and stores of one test, cleaned up after it. */
const directories: string[] = [];
const stores: EmbeddedStore[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await Promise.all(
    directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })),
  );
});

async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'sluice-coordination-'));
  directories.push(directory);
  return directory;
}

async function openStore(options: Parameters<typeof EmbeddedStore.open>[0]): Promise<EmbeddedStore> {
  const store = await EmbeddedStore.open(options);
  stores.push(store);
  return store;
}

async function closeStore(store: EmbeddedStore): Promise<void> {
  await store.close();
  stores.splice(stores.indexOf(store), 1);
}

/** A pino logger whose records the test can read. */
function capturingLogger(): { logger: pino.Logger; records: { msg: string; [field: string]: unknown }[] } {
  const records: { msg: string }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      records.push(JSON.parse(String(chunk)));
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), records };
}

async function logFiles(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name.startsWith('operations-')).sort();
}

/** Start offsets of the frames of an operation log file. */
async function frameOffsets(path: string): Promise<number[]> {
  const contents = await readFile(path);
  const offsets: number[] = [];
  for (let offset = LOG_HEADER_BYTES; offset < contents.length; offset += 8 + contents.readUInt32BE(offset)) {
    offsets.push(offset);
  }
  return offsets;
}

function described(kvs: KeyValue[]): string[] {
  return kvs.map(
    (kv) =>
      `${kv.key}=${Buffer.from(kv.value).toString()} c${kv.createRevision} m${kv.modRevision} v${kv.version}`,
  );
}

async function nextBatch(iterator: AsyncIterator<WatchEvent[]>): Promise<WatchEvent[]> {
  const result = await iterator.next();
  if (result.done) throw new Error('the watch ended');
  return result.value;
}

describe('EmbeddedStore persistence', () => {
  it('keeps keys, versions and the revision across a reopen', async () => {
    const directory = await temporaryDirectory();
    const first = await openStore({ directory });
    await first.put('/k/a', bytes('1'));
    await first.put('/k/a', bytes('2'));
    await first.put('/k/b', bytes('3'));
    await first.delete('/k/b');
    await first.txn({
      compare: [{ key: '/k/a', target: 'version', op: '=', value: 2 }],
      success: [
        { type: 'put', key: '/k/c', value: bytes('4') },
        { type: 'put', key: '/k/d', value: bytes('5') },
      ],
    });
    const before = await first.getPrefix('');
    await closeStore(first);

    const second = await openStore({ directory });
    const after = await second.getPrefix('');
    expect(described(after.kvs)).toEqual(described(before.kvs));
    expect(after.revision).toBe(before.revision);
    expect((await second.put('/k/e', bytes('6'))).revision).toBe(before.revision + 1);
  });

  it('lets a watch after a reopen replay the revisions still in the log', async () => {
    const directory = await temporaryDirectory();
    const first = await openStore({ directory });
    const put = await first.put('/k/a', bytes('1'));
    await first.put('/k/a', bytes('2'));
    await closeStore(first);

    const second = await openStore({ directory });
    const iterator = second.watch('/k/', { fromRevision: put.revision })[Symbol.asyncIterator]();
    expect((await nextBatch(iterator))[0].kv.modRevision).toBe(put.revision);
    const [overwrite] = await nextBatch(iterator);
    expect(overwrite.type === 'put' && Buffer.from(overwrite.previous?.value ?? []).toString()).toBe('1');
  });

  it('cuts a torn tail (a frame cut short) and keeps the operations before it', async () => {
    const directory = await temporaryDirectory();
    const first = await openStore({ directory });
    await first.put('/k/a', bytes('1'));
    const kept = await first.put('/k/b', bytes('2'));
    await first.put('/k/c', bytes('3'));
    await closeStore(first);
    const [logFile] = await logFiles(directory);
    const path = join(directory, logFile);
    const { size } = await stat(path);
    await truncate(path, size - 5);

    const { logger, records } = capturingLogger();
    const second = await openStore({ directory, logger });
    expect((await second.getPrefix('/k/')).kvs.map((kv) => kv.key)).toEqual(['/k/a', '/k/b']);
    expect((await second.getPrefix('')).revision).toBe(kept.revision);
    const warning = records.find((record) => record.msg === 'cut a torn tail off the coordination log');
    expect(warning).toMatchObject({ reason: 'incomplete frame payload' });
    expect(warning?.truncatedBytes).toBeGreaterThan(0);

    // The repaired log takes new writes, and they survive another reopen.
    expect((await second.put('/k/c', bytes('again'))).revision).toBe(kept.revision + 1);
    await closeStore(second);
    const third = await openStore({ directory });
    expect((await third.getPrefix('/k/')).kvs.map((kv) => kv.key)).toEqual(['/k/a', '/k/b', '/k/c']);
  });

  it('drops a frame with flipped bytes and everything after it, keeping what came before', async () => {
    const directory = await temporaryDirectory();
    const first = await openStore({ directory });
    for (const key of ['/k/a', '/k/b', '/k/c', '/k/d']) await first.put(key, bytes(`value of ${key}`));
    await closeStore(first);
    const [logFile] = await logFiles(directory);
    const path = join(directory, logFile);
    const offsets = await frameOffsets(path);
    expect(offsets).toHaveLength(4);
    const handle = await open(path, 'r+');
    const flipped = Buffer.from([0xff]);
    await handle.write(flipped, 0, 1, offsets[2] + 20);
    await handle.close();

    const { logger, records } = capturingLogger();
    const second = await openStore({ directory, logger });
    expect((await second.getPrefix('/k/')).kvs.map((kv) => kv.key)).toEqual(['/k/a', '/k/b']);
    expect(records.find((record) => record.msg === 'cut a torn tail off the coordination log')).toMatchObject(
      {
        reason: 'frame CRC mismatch',
      },
    );
    expect((await stat(path)).size).toBe(offsets[2]);
  });

  it('expires the leases held before a restart on open, deleting their keys at new revisions', async () => {
    const directory = await temporaryDirectory();
    const first = await openStore({ directory });
    const lease = await first.grantLease(60_000);
    const idle = await first.grantLease(60_000);
    await first.put('/brokers/1', bytes('broker 1'), { lease: lease.id });
    await first.put('/brokers/2', bytes('broker 2'), { lease: lease.id });
    const last = await first.put('/topics/t', bytes('topic'));
    await closeStore(first);

    const second = await openStore({ directory });
    expect((await second.getPrefix('/')).kvs.map((kv) => kv.key)).toEqual(['/topics/t']);
    // One revision for the lease with keys; none for the lease without.
    expect((await second.getPrefix('')).revision).toBe(last.revision + 1);
    await expect(second.keepAlive(lease.id)).rejects.toSatisfy(LeaseNotFoundError.isInstance);
    await expect(second.keepAlive(idle.id)).rejects.toSatisfy(LeaseNotFoundError.isInstance);
    const iterator = second.watch('/brokers/', { fromRevision: last.revision + 1 })[Symbol.asyncIterator]();
    expect((await nextBatch(iterator)).map((event) => `${event.type} ${event.kv.key}`)).toEqual([
      'delete /brokers/1',
      'delete /brokers/2',
    ]);
    const fresh = await second.grantLease(60_000);
    expect([lease.id, idle.id]).not.toContain(fresh.id);
  });

  it('compacts the log into a snapshot and restores the same state from it', async () => {
    const directory = await temporaryDirectory();
    const first = await openStore({ directory, logCompactionBytes: 4096 });
    for (let index = 0; index < 300; index++) {
      await first.put(`/k/${index % 37}`, bytes(`value ${index}`));
      if (index % 11 === 0) await first.delete(`/k/${(index * 7) % 37}`);
    }
    expect(first.statistics.snapshotCount).toBeGreaterThan(0);
    expect(await logFiles(directory)).toHaveLength(1);
    expect(await readdir(directory)).toContain('snapshot');
    const before = await first.getPrefix('');
    await closeStore(first);

    const second = await openStore({ directory, logCompactionBytes: 4096 });
    const after = await second.getPrefix('');
    expect(described(after.kvs)).toEqual(described(before.kvs));
    expect(after.revision).toBe(before.revision);
  });

  it('recovers from a crash between writing a snapshot and starting the next log', async () => {
    const directory = await temporaryDirectory();
    const first = await openStore({ directory });
    for (let index = 0; index < 20; index++) await first.put(`/k/${index}`, bytes(`value ${index}`));
    await closeStore(first);
    const [oldLog] = await logFiles(directory);
    await copyFile(join(directory, oldLog), join(directory, 'old-log'));

    const second = await openStore({ directory, logCompactionBytes: 1 });
    await second.put('/k/last', bytes('in the snapshot'));
    const before = await second.getPrefix('');
    await closeStore(second); // waits for the compaction that the put started
    expect(second.statistics.snapshotCount).toBe(1);
    // The crash image: the snapshot is in place, the old log still there, the new one not yet created.
    const [newLog] = await logFiles(directory);
    expect(newLog).not.toBe(oldLog);
    await rm(join(directory, newLog));
    await copyFile(join(directory, 'old-log'), join(directory, oldLog));
    await rm(join(directory, 'old-log'));

    const third = await openStore({ directory });
    expect(described((await third.getPrefix('')).kvs)).toEqual(described(before.kvs));
    expect(await logFiles(directory)).toEqual([newLog]);
  });

  it('refuses to open a damaged snapshot with StoreCorruptError', async () => {
    const directory = await temporaryDirectory();
    const first = await openStore({ directory, logCompactionBytes: 1 });
    await first.put('/k/a', bytes('1'));
    await closeStore(first);
    const path = join(directory, 'snapshot');
    const contents = await readFile(path);
    contents[contents.length - 3] ^= 0xff;
    await writeFile(path, contents);
    await expect(EmbeddedStore.open({ directory })).rejects.toSatisfy(StoreCorruptError.isInstance);
  });

  it('group-commits concurrent writes into few fsyncs, all of them durable', async () => {
    const directory = await temporaryDirectory();
    const first = await openStore({ directory });
    const syncsBefore = first.statistics.logSyncCount;
    const puts = await Promise.all(
      Array.from({ length: 200 }, (_, index) => first.put(`/k/${index}`, bytes(`${index}`))),
    );
    expect(new Set(puts.map((put) => put.revision)).size).toBe(200);
    expect(first.statistics.logSyncCount - syncsBefore).toBeLessThan(20);
    await closeStore(first);
    const second = await openStore({ directory });
    expect((await second.getPrefix('/k/')).kvs).toHaveLength(200);
  });

  it('stops taking requests once a write to disk fails, and reopens from what was durable', async () => {
    const directory = await temporaryDirectory();
    const { logger, records } = capturingLogger();
    const first = await openStore({ directory, logger });
    await first.put('/k/durable', bytes('1'));
    const iterator = first.watch('/k/')[Symbol.asyncIterator]();
    // A real I/O fault: the log's file descriptor is closed under the store, so its next write fails.
    const log = (first as unknown as { log: { handle: { close(): Promise<void> } } }).log;
    await log.handle.close();
    await expect(first.put('/k/lost', bytes('2'))).rejects.toSatisfy(StoreFailedError.isInstance);
    await expect(first.get('/k/durable')).rejects.toSatisfy(StoreFailedError.isInstance);
    await expect(iterator.next()).rejects.toSatisfy(StoreFailedError.isInstance);
    expect(records.some((record) => record.msg.startsWith('coordination store failed'))).toBe(true);
    await closeStore(first);

    const second = await openStore({ directory });
    expect((await second.getPrefix('/k/')).kvs.map((kv) => kv.key)).toEqual(['/k/durable']);
  });

  it('refuses a second store on the same directory in one process', async () => {
    const directory = await temporaryDirectory();
    await openStore({ directory });
    await expect(EmbeddedStore.open({ directory })).rejects.toSatisfy(InvalidRequestError.isInstance);
  });
});

describe('EmbeddedStore leases and watch history', () => {
  it('expires a lease on its timer with the system clock, with no request made', async () => {
    const directory = await temporaryDirectory();
    const store = await openStore({ directory });
    const iterator = store.watch('/brokers/')[Symbol.asyncIterator]();
    const startedAt = performance.now();
    const lease = await store.grantLease(300);
    await store.put('/brokers/1', bytes('broker 1'), { lease: lease.id });
    expect((await nextBatch(iterator))[0]).toMatchObject({ type: 'put', kv: { key: '/brokers/1' } });
    const [event] = await nextBatch(iterator);
    expect(event).toMatchObject({ type: 'delete', kv: { key: '/brokers/1' } });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(300);
  });

  it('keeps a bounded history: a watch from before its oldest revision fails with CompactedRevisionError', async () => {
    const directory = await temporaryDirectory();
    const store = await openStore({ directory, watchHistoryRevisionsMax: 10 });
    const puts = [];
    for (let index = 0; index < 20; index++) puts.push(await store.put('/k/a', bytes(`${index}`)));
    const old = store.watch('/k/', { fromRevision: puts[0].revision })[Symbol.asyncIterator]();
    const failure = await old.next().catch((error: unknown) => error);
    expect(CompactedRevisionError.isInstance(failure)).toBe(true);
    expect((failure as CompactedRevisionError).compactedRevision).toBe(puts[9].revision);
    const recent = store.watch('/k/', { fromRevision: puts[10].revision })[Symbol.asyncIterator]();
    expect((await nextBatch(recent))[0].kv.modRevision).toBe(puts[10].revision);
  });

  it('tells a reader that fell out of the history with CompactedRevisionError', async () => {
    const directory = await temporaryDirectory();
    const store = await openStore({ directory, watchHistoryRevisionsMax: 10 });
    const iterator = store.watch('/k/')[Symbol.asyncIterator]();
    await store.put('/k/a', bytes('read'));
    await nextBatch(iterator);
    for (let index = 0; index < 20; index++) await store.put('/k/a', bytes(`${index}`));
    await expect(iterator.next()).rejects.toSatisfy(CompactedRevisionError.isInstance);
    expect(store.statistics.watchCount).toBe(0);
  });

  it('keeps revisions and lease ids deterministic given the same operations', async () => {
    const run = async () => {
      const directory = await temporaryDirectory();
      const clock = new ManualClock();
      const store = await openStore({ directory, clock, timers: clock });
      const lease = await store.grantLease(1000);
      await store.put('/k/a', bytes('a'), { lease: lease.id });
      await clock.advance(2000);
      const put = await store.put('/k/b', bytes('b'));
      return { lease: lease.id, revision: put.revision };
    };
    expect(await run()).toEqual(await run());
  });
});
