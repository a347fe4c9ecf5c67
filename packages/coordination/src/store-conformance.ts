import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Compare, CoordinationStore, KeyValue, Watch, WatchEvent } from './coordination-store.js';
import {
  CompactedRevisionError,
  InvalidRequestError,
  LeaseNotFoundError,
  StoreClosedError,
} from './errors.js';
import { KEY_BYTES_MAX, TXN_OPERATIONS_MAX, VALUE_BYTES_MAX } from './limits.js';

/**
 * The behaviour every `CoordinationStore` must have, as a vitest suite: the embedded store runs it, and an
 * etcd-backed store must pass it unchanged. The suite never assumes absolute revisions, only that each
 * change advances the revision by one, so it holds against a store that already has history.
 */
export interface ConformanceHarness {
  /** A store holding no keys under `/conformance/`. */
  store: CoordinationStore;
  /** A lease TTL the backend grants exactly as asked. */
  leaseTtlMs: number;
  /** Lets `durationMs` pass on the clock the store measures leases with (a manual clock, or real time). */
  elapse(durationMs: number): Promise<void>;
  /** Compacts the store's history below `revision`, as etcd's `compact` does. */
  compact(revision: number): Promise<void>;
  /** Releases the store and anything else the harness made; the store may already be closed. */
  dispose(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const text = (value: Uint8Array): string => decoder.decode(value);

/** Waits for `promise`, failing clearly after `timeoutMs` of real time instead of hanging the suite. */
async function within<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a watch batch by batch. */
function reader(watch: Watch): { next(): Promise<WatchEvent[]>; ended(): Promise<boolean> } {
  const iterator = watch[Symbol.asyncIterator]();
  return {
    async next() {
      const result = await within(iterator.next(), 'a watch batch');
      if (result.done) throw new Error('the watch ended while a batch was expected');
      return result.value;
    },
    async ended() {
      const result = await within(iterator.next(), 'the end of a watch');
      return result.done === true;
    },
  };
}

/** A watch event in a form that is easy to compare: type, key, value, revisions. */
function summary(event: WatchEvent): string {
  const { kv } = event;
  if (event.type === 'delete') return `delete ${kv.key} @${kv.modRevision}`;
  const previous = event.previous === null ? 'none' : text(event.previous.value);
  return `put ${kv.key}=${text(kv.value)} v${kv.version} @${kv.modRevision} (was ${previous})`;
}

async function currentRevision(store: CoordinationStore): Promise<number> {
  return (await store.getPrefix('/conformance/')).revision;
}

export function describeCoordinationStore(
  name: string,
  createHarness: () => Promise<ConformanceHarness>,
): void {
  describe(`${name}: coordination store conformance`, () => {
    let harness: ConformanceHarness;
    let store: CoordinationStore;

    beforeEach(async () => {
      harness = await createHarness();
      store = harness.store;
    });

    afterEach(async () => {
      await harness.dispose();
    });

    describe('revisions and versions', () => {
      it('advances the revision by one per put and creates the key at version 1', async () => {
        const before = await currentRevision(store);
        const put = await store.put('/conformance/a', bytes('one'));
        expect(put).toEqual({ revision: before + 1, previous: null });
        expect(await store.get('/conformance/a')).toEqual({
          key: '/conformance/a',
          value: bytes('one'),
          createRevision: before + 1,
          modRevision: before + 1,
          version: 1,
          lease: null,
        });
      });

      it('keeps createRevision, bumps version and modRevision, and returns the previous value on overwrite', async () => {
        const first = await store.put('/conformance/a', bytes('one'));
        const second = await store.put('/conformance/a', bytes('two'));
        expect(second.revision).toBe(first.revision + 1);
        expect(second.previous?.value).toEqual(bytes('one'));
        expect(second.previous?.version).toBe(1);
        const kv = await store.get('/conformance/a');
        expect(kv).toMatchObject({
          createRevision: first.revision,
          modRevision: second.revision,
          version: 2,
        });
        expect(text(kv?.value ?? new Uint8Array())).toBe('two');
      });

      it('resets the version on delete: a key put again starts at version 1 with a new createRevision', async () => {
        await store.put('/conformance/a', bytes('one'));
        await store.put('/conformance/a', bytes('two'));
        const deleted = await store.delete('/conformance/a');
        expect(deleted.deleted).toBe(1);
        expect(await store.get('/conformance/a')).toBeNull();
        const again = await store.put('/conformance/a', bytes('three'));
        expect(again.previous).toBeNull();
        expect(again.revision).toBe(deleted.revision + 1);
        expect(await store.get('/conformance/a')).toMatchObject({
          createRevision: again.revision,
          modRevision: again.revision,
          version: 1,
        });
      });

      it('leaves the revision alone for reads and for deleting a missing key', async () => {
        await store.put('/conformance/a', bytes('one'));
        const before = await currentRevision(store);
        expect(await store.get('/conformance/missing')).toBeNull();
        expect(await store.delete('/conformance/missing')).toEqual({ revision: before, deleted: 0 });
        expect(await store.delete('/conformance/nothing/', { prefix: true })).toEqual({
          revision: before,
          deleted: 0,
        });
        expect(await currentRevision(store)).toBe(before);
      });

      it('hands out copies: changing bytes passed in or returned does not change what is stored', async () => {
        const value = bytes('original');
        await store.put('/conformance/a', value);
        value.fill(0);
        const read = await store.get('/conformance/a');
        expect(text(read?.value ?? new Uint8Array())).toBe('original');
        read?.value.fill(0);
        expect(text((await store.get('/conformance/a'))?.value ?? new Uint8Array())).toBe('original');
      });
    });

    describe('prefixes', () => {
      it('returns only the keys under a prefix, sorted, with the revision they were read at', async () => {
        for (const key of [
          '/conformance/p/b',
          '/conformance/q/a',
          '/conformance/p/a/x',
          '/conformance/pa',
          '/conformance/p/a',
        ]) {
          await store.put(key, bytes(key));
        }
        const last = await store.put('/conformance/p/c', bytes('c'));
        const { kvs, revision } = await store.getPrefix('/conformance/p/');
        expect(kvs.map((kv) => kv.key)).toEqual([
          '/conformance/p/a',
          '/conformance/p/a/x',
          '/conformance/p/b',
          '/conformance/p/c',
        ]);
        expect(revision).toBe(last.revision);
      });

      it('sorts keys by code point, the byte order of their UTF-8', async () => {
        for (const key of ['/conformance/s/\u{1F600}', '/conformance/s/\u{E000}', '/conformance/s/z']) {
          await store.put(key, bytes('x'));
        }
        const { kvs } = await store.getPrefix('/conformance/s/');
        expect(kvs.map((kv) => kv.key)).toEqual([
          '/conformance/s/z',
          '/conformance/s/\u{E000}',
          '/conformance/s/\u{1F600}',
        ]);
      });

      it('deletes every key under a prefix at one revision', async () => {
        for (const key of ['/conformance/d/a', '/conformance/d/b', '/conformance/d/c/d', '/conformance/e']) {
          await store.put(key, bytes('x'));
        }
        const before = await currentRevision(store);
        expect(await store.delete('/conformance/d/', { prefix: true })).toEqual({
          revision: before + 1,
          deleted: 3,
        });
        expect((await store.getPrefix('/conformance/d/')).kvs).toEqual([]);
        expect(await store.get('/conformance/e')).not.toBeNull();
      });
    });

    describe('transactions', () => {
      interface CompareCase {
        name: string;
        compare(context: { created: number; modified: number }): Compare;
        holds: boolean;
      }
      const key = '/conformance/t/k';
      const missing = '/conformance/t/missing';
      const cases: CompareCase[] = [
        { name: 'version = 2', compare: () => ({ key, target: 'version', op: '=', value: 2 }), holds: true },
        { name: 'version = 1', compare: () => ({ key, target: 'version', op: '=', value: 1 }), holds: false },
        {
          name: 'version != 1',
          compare: () => ({ key, target: 'version', op: '!=', value: 1 }),
          holds: true,
        },
        {
          name: 'version != 2',
          compare: () => ({ key, target: 'version', op: '!=', value: 2 }),
          holds: false,
        },
        { name: 'version < 3', compare: () => ({ key, target: 'version', op: '<', value: 3 }), holds: true },
        { name: 'version < 2', compare: () => ({ key, target: 'version', op: '<', value: 2 }), holds: false },
        { name: 'version > 1', compare: () => ({ key, target: 'version', op: '>', value: 1 }), holds: true },
        { name: 'version > 2', compare: () => ({ key, target: 'version', op: '>', value: 2 }), holds: false },
        {
          name: 'createRevision = created',
          compare: ({ created }) => ({ key, target: 'createRevision', op: '=', value: created }),
          holds: true,
        },
        {
          name: 'createRevision != created',
          compare: ({ created }) => ({ key, target: 'createRevision', op: '!=', value: created }),
          holds: false,
        },
        {
          name: 'createRevision < created + 1',
          compare: ({ created }) => ({ key, target: 'createRevision', op: '<', value: created + 1 }),
          holds: true,
        },
        {
          name: 'createRevision > created',
          compare: ({ created }) => ({ key, target: 'createRevision', op: '>', value: created }),
          holds: false,
        },
        {
          name: 'modRevision = modified',
          compare: ({ modified }) => ({ key, target: 'modRevision', op: '=', value: modified }),
          holds: true,
        },
        {
          name: 'modRevision != created',
          compare: ({ created }) => ({ key, target: 'modRevision', op: '!=', value: created }),
          holds: true,
        },
        {
          name: 'modRevision < modified',
          compare: ({ modified }) => ({ key, target: 'modRevision', op: '<', value: modified }),
          holds: false,
        },
        {
          name: 'modRevision > created',
          compare: ({ created }) => ({ key, target: 'modRevision', op: '>', value: created }),
          holds: true,
        },
        {
          name: "value = 'two'",
          compare: () => ({ key, target: 'value', op: '=', value: bytes('two') }),
          holds: true,
        },
        {
          name: "value = 'one'",
          compare: () => ({ key, target: 'value', op: '=', value: bytes('one') }),
          holds: false,
        },
        {
          name: "value != 'one'",
          compare: () => ({ key, target: 'value', op: '!=', value: bytes('one') }),
          holds: true,
        },
        {
          name: "value != 'two'",
          compare: () => ({ key, target: 'value', op: '!=', value: bytes('two') }),
          holds: false,
        },
        {
          name: 'lease = null',
          compare: () => ({ key, target: 'lease', op: '=', value: null }),
          holds: true,
        },
        {
          name: 'lease != null',
          compare: () => ({ key, target: 'lease', op: '!=', value: null }),
          holds: false,
        },
        {
          name: 'missing key: version = 0',
          compare: () => ({ key: missing, target: 'version', op: '=', value: 0 }),
          holds: true,
        },
        {
          name: 'missing key: createRevision = 0',
          compare: () => ({ key: missing, target: 'createRevision', op: '=', value: 0 }),
          holds: true,
        },
        {
          name: 'missing key: modRevision < 1',
          compare: () => ({ key: missing, target: 'modRevision', op: '<', value: 1 }),
          holds: true,
        },
        {
          name: "missing key: value = ''",
          compare: () => ({ key: missing, target: 'value', op: '=', value: new Uint8Array() }),
          holds: false,
        },
        {
          name: "missing key: value != 'x'",
          compare: () => ({ key: missing, target: 'value', op: '!=', value: bytes('x') }),
          holds: false,
        },
        {
          name: 'missing key: lease = null',
          compare: () => ({ key: missing, target: 'lease', op: '=', value: null }),
          holds: true,
        },
      ];

      it.each(cases)('evaluates $name as $holds', async ({ compare, holds }) => {
        const created = (await store.put(key, bytes('one'))).revision;
        const modified = (await store.put(key, bytes('two'))).revision;
        const result = await store.txn({
          compare: [compare({ created, modified })],
          success: [{ type: 'get', key }],
          failure: [],
        });
        expect(result.succeeded).toBe(holds);
        expect(result.revision).toBe(modified);
        expect(result.results).toHaveLength(holds ? 1 : 0);
      });

      it("compares a key's lease", async () => {
        const lease = await store.grantLease(harness.leaseTtlMs);
        await store.put(key, bytes('leased'), { lease: lease.id });
        const holds = async (compare: Compare) =>
          (await store.txn({ compare: [compare], success: [] })).succeeded;
        expect(await holds({ key, target: 'lease', op: '=', value: lease.id })).toBe(true);
        expect(await holds({ key, target: 'lease', op: '!=', value: lease.id })).toBe(false);
        expect(await holds({ key, target: 'lease', op: '=', value: null })).toBe(false);
        expect(await holds({ key, target: 'lease', op: '!=', value: null })).toBe(true);
      });

      it('runs the success branch only when every compare holds', async () => {
        await store.put(key, bytes('one'));
        const result = await store.txn({
          compare: [
            { key, target: 'version', op: '=', value: 1 },
            { key, target: 'value', op: '=', value: bytes('other') },
          ],
          success: [{ type: 'put', key: '/conformance/t/success', value: bytes('x') }],
          failure: [{ type: 'put', key: '/conformance/t/failure', value: bytes('y') }],
        });
        expect(result.succeeded).toBe(false);
        expect(await store.get('/conformance/t/success')).toBeNull();
        expect(await store.get('/conformance/t/failure')).toMatchObject({ modRevision: result.revision });
      });

      it("applies a branch's operations in order at one revision, a get seeing the writes before it", async () => {
        await store.put('/conformance/t/gone', bytes('x'));
        const before = await currentRevision(store);
        const result = await store.txn({
          compare: [],
          success: [
            { type: 'put', key: '/conformance/t/a', value: bytes('a') },
            { type: 'put', key: '/conformance/t/b', value: bytes('b') },
            { type: 'get', key: '/conformance/t/', prefix: true },
            { type: 'delete', key: '/conformance/t/gone' },
            { type: 'get', key: '/conformance/t/gone' },
          ],
        });
        expect(result.succeeded).toBe(true);
        expect(result.revision).toBe(before + 1);
        const [putA, putB, listed, deleted, gone] = result.results;
        expect([putA, putB, deleted]).toEqual([before + 1, before + 1, 1]);
        expect((listed as KeyValue[]).map((kv) => [kv.key, kv.modRevision])).toEqual([
          ['/conformance/t/a', before + 1],
          ['/conformance/t/b', before + 1],
          ['/conformance/t/gone', before],
        ]);
        expect(gone).toEqual([]);
        expect(await currentRevision(store)).toBe(before + 1);
      });

      it('leaves the revision alone when a transaction writes nothing', async () => {
        await store.put(key, bytes('one'));
        const before = await currentRevision(store);
        const result = await store.txn({
          compare: [{ key, target: 'version', op: '>', value: 5 }],
          success: [{ type: 'put', key, value: bytes('no') }],
          failure: [
            { type: 'get', key },
            { type: 'delete', key: missing },
          ],
        });
        expect(result).toMatchObject({ succeeded: false, revision: before });
        expect(result.results[1]).toBe(0);
        expect(await currentRevision(store)).toBe(before);
      });

      it('lets exactly one of two concurrent compare-and-sets on modRevision win', async () => {
        const { revision } = await store.put(key, bytes('epoch 1'));
        const compareAndSet = (value: string) =>
          store.txn({
            compare: [{ key, target: 'modRevision', op: '=', value: revision }],
            success: [{ type: 'put', key, value: bytes(value) }],
          });
        const results = await Promise.all([compareAndSet('epoch 2 by a'), compareAndSet('epoch 2 by b')]);
        expect(results.map((result) => result.succeeded).sort()).toEqual([false, true]);
        const winner = results[0].succeeded ? 'epoch 2 by a' : 'epoch 2 by b';
        expect(text((await store.get(key))?.value ?? new Uint8Array())).toBe(winner);
      });

      it('refuses a branch that puts a key twice, or puts and deletes it', async () => {
        const value = bytes('x');
        await expect(
          store.txn({
            compare: [],
            success: [
              { type: 'put', key, value },
              { type: 'put', key, value },
            ],
          }),
        ).rejects.toSatisfy(InvalidRequestError.isInstance);
        await expect(
          store.txn({
            compare: [],
            success: [],
            failure: [
              { type: 'put', key, value },
              { type: 'delete', key: '/conformance/t/', prefix: true },
            ],
          }),
        ).rejects.toSatisfy(InvalidRequestError.isInstance);
        expect(await store.get(key)).toBeNull();
      });

      it(`refuses more than ${TXN_OPERATIONS_MAX} operations in a branch`, async () => {
        const success = Array.from({ length: TXN_OPERATIONS_MAX + 1 }, (_, index) => ({
          type: 'get' as const,
          key: `/conformance/t/${index}`,
        }));
        await expect(store.txn({ compare: [], success })).rejects.toSatisfy(InvalidRequestError.isInstance);
      });

      it('rejects a put bound to an unknown lease with LeaseNotFoundError and changes nothing', async () => {
        const lease = await store.grantLease(harness.leaseTtlMs);
        await store.revokeLease(lease.id);
        const before = await currentRevision(store);
        await expect(store.put(key, bytes('x'), { lease: lease.id })).rejects.toSatisfy(
          LeaseNotFoundError.isInstance,
        );
        await expect(
          store.txn({
            compare: [],
            success: [
              { type: 'put', key: '/conformance/t/other', value: bytes('y') },
              { type: 'put', key, value: bytes('x'), lease: lease.id },
            ],
          }),
        ).rejects.toSatisfy(LeaseNotFoundError.isInstance);
        expect(await store.get(key)).toBeNull();
        expect(await store.get('/conformance/t/other')).toBeNull();
        expect(await currentRevision(store)).toBe(before);
      });
    });

    describe('leases', () => {
      it('grants the TTL asked for and names the lease in the keys bound to it', async () => {
        const lease = await store.grantLease(harness.leaseTtlMs);
        expect(lease.ttlMs).toBe(harness.leaseTtlMs);
        await store.put('/conformance/l/a', bytes('a'), { lease: lease.id });
        expect((await store.get('/conformance/l/a'))?.lease).toBe(lease.id);
      });

      it('deletes the keys of an expired lease at one new revision, and only those', async () => {
        const lease = await store.grantLease(harness.leaseTtlMs);
        await store.put('/conformance/l/a', bytes('a'), { lease: lease.id });
        await store.put('/conformance/l/b', bytes('b'), { lease: lease.id });
        const last = await store.put('/conformance/l/kept', bytes('kept'));
        const watch = reader(store.watch('/conformance/l/'));
        await harness.elapse(harness.leaseTtlMs * 1.5);
        const batch = await watch.next();
        expect(batch.map(summary)).toEqual([
          `delete /conformance/l/a @${last.revision + 1}`,
          `delete /conformance/l/b @${last.revision + 1}`,
        ]);
        expect((await store.getPrefix('/conformance/l/')).kvs.map((kv) => kv.key)).toEqual([
          '/conformance/l/kept',
        ]);
      });

      it('keeps the keys of a lease kept alive past its TTL', async () => {
        const lease = await store.grantLease(harness.leaseTtlMs);
        await store.put('/conformance/l/a', bytes('a'), { lease: lease.id });
        for (let step = 0; step < 4; step++) {
          await harness.elapse(harness.leaseTtlMs * 0.5);
          expect(await store.keepAlive(lease.id)).toEqual({ ttlMs: harness.leaseTtlMs });
        }
        expect(await store.get('/conformance/l/a')).not.toBeNull();
        await harness.elapse(harness.leaseTtlMs * 1.5);
        expect(await store.get('/conformance/l/a')).toBeNull();
      });

      it('rejects a keep-alive of an expired lease with LeaseNotFoundError', async () => {
        const lease = await store.grantLease(harness.leaseTtlMs);
        await store.put('/conformance/l/a', bytes('a'), { lease: lease.id });
        await harness.elapse(harness.leaseTtlMs * 1.5);
        await expect(store.keepAlive(lease.id)).rejects.toSatisfy(LeaseNotFoundError.isInstance);
        expect(await store.get('/conformance/l/a')).toBeNull();
      });

      it("deletes a revoked lease's keys at one revision; revoking it again is LeaseNotFoundError", async () => {
        const lease = await store.grantLease(harness.leaseTtlMs);
        await store.put('/conformance/l/a', bytes('a'), { lease: lease.id });
        const last = await store.put('/conformance/l/b', bytes('b'), { lease: lease.id });
        await store.revokeLease(lease.id);
        expect(await currentRevision(store)).toBe(last.revision + 1);
        expect((await store.getPrefix('/conformance/l/')).kvs).toEqual([]);
        await expect(store.revokeLease(lease.id)).rejects.toSatisfy(LeaseNotFoundError.isInstance);
        await expect(store.keepAlive(lease.id)).rejects.toSatisfy(LeaseNotFoundError.isInstance);
      });

      it('detaches a key from its lease when it is put again without one', async () => {
        const lease = await store.grantLease(harness.leaseTtlMs);
        await store.put('/conformance/l/a', bytes('leased'), { lease: lease.id });
        await store.put('/conformance/l/a', bytes('free'));
        await store.revokeLease(lease.id);
        expect(await store.get('/conformance/l/a')).toMatchObject({ lease: null, version: 2 });
      });
    });

    describe('watches', () => {
      it('streams the changes under its prefix in order, one batch per revision, with previous values', async () => {
        const watch = reader(store.watch('/conformance/w/'));
        const first = await store.put('/conformance/w/a', bytes('1'));
        await store.put('/conformance/x/a', bytes('elsewhere'));
        await store.put('/conformance/w/a', bytes('2'));
        await store.delete('/conformance/w/a');
        const both = await store.txn({
          compare: [],
          success: [
            { type: 'put', key: '/conformance/w/b', value: bytes('b') },
            { type: 'put', key: '/conformance/w/c', value: bytes('c') },
          ],
        });
        const r = first.revision;
        expect((await watch.next()).map(summary)).toEqual([`put /conformance/w/a=1 v1 @${r} (was none)`]);
        expect((await watch.next()).map(summary)).toEqual([`put /conformance/w/a=2 v2 @${r + 2} (was 1)`]);
        const [deletion] = await watch.next();
        expect(deletion.type).toBe('delete');
        expect(deletion.kv).toMatchObject({
          key: '/conformance/w/a',
          modRevision: r + 3,
          version: 0,
          createRevision: 0,
        });
        expect((await watch.next()).map(summary)).toEqual([
          `put /conformance/w/b=b v1 @${both.revision} (was none)`,
          `put /conformance/w/c=c v1 @${both.revision} (was none)`,
        ]);
      });

      it('replays the history from an earlier revision', async () => {
        const first = await store.put('/conformance/w/a', bytes('1'));
        await store.put('/conformance/w/b', bytes('2'));
        await store.put('/conformance/w/a', bytes('3'));
        const watch = reader(store.watch('/conformance/w/', { fromRevision: first.revision + 1 }));
        expect((await watch.next()).map(summary)).toEqual([
          `put /conformance/w/b=2 v1 @${first.revision + 1} (was none)`,
        ]);
        expect((await watch.next()).map(summary)).toEqual([
          `put /conformance/w/a=3 v2 @${first.revision + 2} (was 1)`,
        ]);
      });

      it('resumes after the last revision seen without missing the events made in between', async () => {
        const controller = new AbortController();
        const first = reader(store.watch('/conformance/w/', { signal: controller.signal }));
        await store.put('/conformance/w/a', bytes('1'));
        const [seen] = await first.next();
        controller.abort();
        const missed = [
          await store.put('/conformance/w/b', bytes('2')),
          await store.put('/conformance/w/c', bytes('3')),
          await store.put('/conformance/w/a', bytes('4')),
        ];
        const resumed = reader(store.watch('/conformance/w/', { fromRevision: seen.kv.modRevision + 1 }));
        for (const put of missed) {
          const [event] = await resumed.next();
          expect(event.kv.modRevision).toBe(put.revision);
        }
      });

      it('starts at a future revision when asked to', async () => {
        const now = await currentRevision(store);
        const watch = reader(store.watch('/conformance/w/', { fromRevision: now + 2 }));
        await store.put('/conformance/w/a', bytes('skipped'));
        await store.put('/conformance/w/a', bytes('seen'));
        expect((await watch.next()).map(summary)).toEqual([
          `put /conformance/w/a=seen v2 @${now + 2} (was skipped)`,
        ]);
      });

      it('fails with CompactedRevisionError when resuming from a compacted revision', async () => {
        const first = await store.put('/conformance/w/a', bytes('1'));
        await store.put('/conformance/w/a', bytes('2'));
        const third = await store.put('/conformance/w/a', bytes('3'));
        await harness.compact(third.revision);
        const old = store.watch('/conformance/w/', { fromRevision: first.revision });
        const failure = await within(old[Symbol.asyncIterator]().next(), 'a compacted watch').then(
          () => null,
          (error: unknown) => error,
        );
        expect(CompactedRevisionError.isInstance(failure)).toBe(true);
        expect((failure as CompactedRevisionError).requestedRevision).toBe(first.revision);
        expect((failure as CompactedRevisionError).compactedRevision).toBeGreaterThanOrEqual(first.revision);
        expect((failure as CompactedRevisionError).compactedRevision).toBeLessThan(third.revision);
        const recent = reader(store.watch('/conformance/w/', { fromRevision: third.revision }));
        expect((await recent.next()).map(summary)).toEqual([
          `put /conformance/w/a=3 v3 @${third.revision} (was 2)`,
        ]);
      });

      it('ends when its signal aborts, and when it is closed', async () => {
        const controller = new AbortController();
        const aborted = reader(store.watch('/conformance/w/', { signal: controller.signal }));
        const closedWatch = store.watch('/conformance/w/');
        const closed = reader(closedWatch);
        const abortedEnd = aborted.ended();
        const closedEnd = closed.ended();
        controller.abort();
        closedWatch.close();
        expect(await abortedEnd).toBe(true);
        expect(await closedEnd).toBe(true);
        const alreadyAborted = reader(store.watch('/conformance/w/', { signal: controller.signal }));
        expect(await alreadyAborted.ended()).toBe(true);
      });

      it('ends a for-await loop that breaks out, and sees nothing after', async () => {
        const watch = store.watch('/conformance/w/');
        await store.put('/conformance/w/a', bytes('1'));
        const keys: string[] = [];
        for await (const events of watch) {
          keys.push(...events.map((event) => event.kv.key));
          break;
        }
        expect(keys).toEqual(['/conformance/w/a']);
        expect(await reader(watch).ended()).toBe(true);
      });
    });

    describe('validation', () => {
      it('refuses empty and oversized keys and oversized values with InvalidRequestError', async () => {
        await expect(store.put('', bytes('x'))).rejects.toSatisfy(InvalidRequestError.isInstance);
        await expect(store.get('')).rejects.toSatisfy(InvalidRequestError.isInstance);
        await expect(store.put(`/conformance/${'k'.repeat(KEY_BYTES_MAX)}`, bytes('x'))).rejects.toSatisfy(
          InvalidRequestError.isInstance,
        );
        await expect(store.put('/conformance/big', new Uint8Array(VALUE_BYTES_MAX + 1))).rejects.toSatisfy(
          InvalidRequestError.isInstance,
        );
        await expect(store.grantLease(0)).rejects.toSatisfy(InvalidRequestError.isInstance);
        expect(() => store.watch('/conformance/', { fromRevision: 0 })).toThrow(InvalidRequestError);
      });
    });

    describe('close', () => {
      it('fails open watches and every later request with StoreClosedError; closing again is harmless', async () => {
        const watch = reader(store.watch('/conformance/'));
        const pending = watch.next().then(
          () => null,
          (error: unknown) => error,
        );
        await store.close();
        expect(StoreClosedError.isInstance(await pending)).toBe(true);
        await expect(store.get('/conformance/a')).rejects.toSatisfy(StoreClosedError.isInstance);
        await expect(store.put('/conformance/a', bytes('x'))).rejects.toSatisfy(StoreClosedError.isInstance);
        await expect(store.grantLease(harness.leaseTtlMs)).rejects.toSatisfy(StoreClosedError.isInstance);
        const late = store.watch('/conformance/')[Symbol.asyncIterator]().next();
        await expect(late).rejects.toSatisfy(StoreClosedError.isInstance);
        await store.close();
      });
    });
  });
}
