import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KeyValue } from './coordination-store.js';
import { Election, type Leadership } from './election.js';
import { NotLeaderError, SessionExpiredError } from './errors.js';
import { controllerKey } from './keys.js';
import { Session } from './session.js';
import { cuttableLink, hasSettled, openTestStore, type TestStore } from './test-support.js';

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const text = (kv: KeyValue | null): string | null => (kv === null ? null : Buffer.from(kv.value).toString());
const TTL_MS = 3000;

let testStore: TestStore;

afterEach(async () => {
  await testStore.dispose();
});

async function session(link?: ReturnType<typeof cuttableLink>): Promise<Session> {
  const { store, clock } = testStore;
  return Session.create(link?.store ?? store, { ttlMs: TTL_MS, clock, timers: clock });
}

/** Collects what `observe` yields, as leader values (null for no leader). */
function observeInto(election: Election, signal: AbortSignal): (string | null)[] {
  const seen: (string | null)[] = [];
  void (async () => {
    for await (const leader of election.observe(signal)) seen.push(text(leader));
  })();
  return seen;
}

describe('Election', () => {
  it('makes the first of two candidates leader and keeps the second waiting', async () => {
    testStore = await openTestStore();
    const election = new Election(testStore.store, controllerKey('test'));
    const first = await session();
    const second = await session();
    const leadership = await election.campaign(first, bytes('broker 1'));
    expect(leadership.key).toBe(`/sluice/test/controller/${first.leaseId}`);
    const waiting = election.campaign(second, bytes('broker 2'));
    expect(await hasSettled(waiting)).toBe(false);
    expect(text(await election.leader())).toBe('broker 1');
    expect((await election.leader())?.createRevision).toBe(leadership.revision);
    await leadership.resign();
    await waiting;
  });

  it("hands leadership to the next candidate when the leader's session expires", async () => {
    testStore = await openTestStore();
    const { store, clock } = testStore;
    const election = new Election(store, controllerKey('test'));
    const observer = new AbortController();
    const seen = observeInto(election, observer.signal);
    const link = cuttableLink(store);
    const first = await session(link);
    const second = await session();
    const leadership = await election.campaign(first, bytes('broker 1'));
    const next = election.campaign(second, bytes('broker 2'));

    link.cut(); // broker 1's keep-alives stop reaching the store
    await clock.advance(TTL_MS - 1);
    expect(leadership.lost.aborted).toBe(false);
    expect(await hasSettled(next)).toBe(false);
    await clock.advance(1);
    expect(leadership.lost.aborted).toBe(true);
    expect(SessionExpiredError.isInstance(leadership.lost.reason)).toBe(true);
    const successor = await next;
    expect(successor.revision).toBeGreaterThan(leadership.revision);
    expect(text(await election.leader())).toBe('broker 2');
    expect(successor.lost.aborted).toBe(false);
    await vi.waitFor(() => expect(seen).toEqual([null, 'broker 1', 'broker 2']));
    observer.abort();
  });

  it('hands leadership over on resign, aborting `lost` of the one who resigned', async () => {
    testStore = await openTestStore();
    const election = new Election(testStore.store, controllerKey('test'));
    const first = await session();
    const second = await session();
    const leadership = await election.campaign(first, bytes('broker 1'));
    const next = election.campaign(second, bytes('broker 2'));
    await leadership.resign();
    expect(leadership.lost.aborted).toBe(true);
    expect(NotLeaderError.isInstance(leadership.lost.reason)).toBe(true);
    await next;
    expect(text(await election.leader())).toBe('broker 2');
    await expect(leadership.proclaim(bytes('too late'))).rejects.toSatisfy(NotLeaderError.isInstance);
  });

  it("publishes the leader's new value with proclaim, seen by observers", async () => {
    testStore = await openTestStore();
    const election = new Election(testStore.store, controllerKey('test'));
    const observer = new AbortController();
    const seen = observeInto(election, observer.signal);
    const leadership = await election.campaign(await session(), bytes('endpoint a'));
    await leadership.proclaim(bytes('endpoint b'));
    expect(text(await election.leader())).toBe('endpoint b');
    await leadership.resign();
    await vi.waitFor(() => expect(seen).toEqual([null, 'endpoint a', 'endpoint b', null]));
    observer.abort();
  });

  it('withdraws a candidate whose campaign is aborted', async () => {
    testStore = await openTestStore();
    const { store } = testStore;
    const election = new Election(store, controllerKey('test'));
    await election.campaign(await session(), bytes('broker 1'));
    const second = await session();
    const controller = new AbortController();
    const waiting = election.campaign(second, bytes('broker 2'), controller.signal);
    expect(await hasSettled(waiting)).toBe(false);
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    const { kvs } = await store.getPrefix(`${controllerKey('test')}/`);
    expect(kvs.map((kv) => text(kv))).toEqual(['broker 1']);
  });

  it('makes each candidate wait for the one just before it, not for the leader', async () => {
    testStore = await openTestStore();
    const election = new Election(testStore.store, controllerKey('test'));
    const leadership = await election.campaign(await session(), bytes('broker 1'));
    const middle = new AbortController();
    const second = election.campaign(await session(), bytes('broker 2'), middle.signal);
    const third = election.campaign(await session(), bytes('broker 3'));
    expect(await hasSettled(third)).toBe(false);
    // The candidate before the third goes away, but the leader is still there: the third keeps waiting.
    middle.abort();
    await expect(second).rejects.toThrow();
    expect(await hasSettled(third)).toBe(false);
    await leadership.resign();
    const won: Leadership = await third;
    expect(won.key).toBe((await election.leader())?.key);
    expect(text(await election.leader())).toBe('broker 3');
  });

  it('loses leadership when its key is deleted behind its back', async () => {
    testStore = await openTestStore();
    const election = new Election(testStore.store, controllerKey('test'));
    const leadership = await election.campaign(await session(), bytes('broker 1'));
    await testStore.store.delete(leadership.key);
    await vi.waitFor(() => expect(leadership.lost.aborted).toBe(true));
    expect(NotLeaderError.isInstance(leadership.lost.reason)).toBe(true);
  });

  it('reuses the candidate key when the same session campaigns again', async () => {
    testStore = await openTestStore();
    const election = new Election(testStore.store, controllerKey('test'));
    const holder = await session();
    const first = await election.campaign(holder, bytes('value 1'));
    const again = await election.campaign(holder, bytes('value 2'));
    expect(again.key).toBe(first.key);
    expect(again.revision).toBe(first.revision);
    expect(text(await election.leader())).toBe('value 2');
  });
});
