import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseNotFoundError, SessionExpiredError } from './errors.js';
import { ManualClock } from './manual-clock.js';
import { Session } from './session.js';
import { cuttableLink, openTestStore, type TestStore } from './test-support.js';

const value = new TextEncoder().encode('broker 1');
let testStore: TestStore;

afterEach(async () => {
  await testStore.dispose();
});

describe('Session', () => {
  it('keeps its lease and keys alive with a keep-alive every ttl/3', async () => {
    testStore = await openTestStore();
    const { store, clock } = testStore;
    const session = await Session.create(store, { ttlMs: 3000, clock, timers: clock });
    await store.put('/brokers/1', value, { lease: session.leaseId });
    for (let second = 1; second <= 10; second++) {
      await clock.advance(1000);
      expect(session.signal.aborted).toBe(false);
      expect(await store.get('/brokers/1')).not.toBeNull();
    }
    await session.close();
    expect(await store.get('/brokers/1')).toBeNull();
  });

  it("expires by the holder's clock once the TTL passes without an answered keep-alive, whatever the store says", async () => {
    testStore = await openTestStore();
    const { store } = testStore;
    const holderClock = new ManualClock();
    const link = cuttableLink(store);
    const session = await Session.create(link.store, {
      ttlMs: 3000,
      clock: holderClock,
      timers: holderClock,
    });
    await store.put('/brokers/1', value, { lease: session.leaseId });
    let expiredCalls = 0;
    session.onExpired(() => {
      expiredCalls += 1;
    });

    link.cut();
    await holderClock.advance(2999);
    expect(session.signal.aborted).toBe(false);
    await holderClock.advance(1);
    expect(session.signal.aborted).toBe(true);
    expect(SessionExpiredError.isInstance(session.signal.reason)).toBe(true);
    expect(session.expired).toBe(true);
    expect(expiredCalls).toBe(1);
    // The store has not expired the lease (its clock has not moved): the holder acted on its own.
    expect(await store.get('/brokers/1')).not.toBeNull();
    expect(await store.keepAlive(session.leaseId)).toEqual({ ttlMs: 3000 });
  });

  it('expires at once when the store refuses a keep-alive because the lease is gone', async () => {
    testStore = await openTestStore();
    const { store, clock } = testStore;
    const session = await Session.create(store, { ttlMs: 3000, clock, timers: clock });
    await store.revokeLease(session.leaseId);
    await clock.advance(1000);
    expect(session.expired).toBe(true);
    expect(clock.nowMs()).toBeLessThan(3000);
  });

  it('stays expired when a keep-alive is answered only after the TTL passed', async () => {
    testStore = await openTestStore();
    const { store } = testStore;
    const holderClock = new ManualClock();
    const answers: (() => void)[] = [];
    const slowStore = new Proxy(store, {
      get(target, property, receiver) {
        if (property !== 'keepAlive') return Reflect.get(target, property, receiver);
        return async (leaseId: string) => {
          await new Promise<void>((resolve) => answers.push(resolve));
          return target.keepAlive(leaseId);
        };
      },
    });
    const session = await Session.create(slowStore, { ttlMs: 3000, clock: holderClock, timers: holderClock });
    await holderClock.advance(3000);
    expect(session.expired).toBe(true);
    for (const answer of answers) answer();
    await holderClock.advance(1000);
    expect(session.expired).toBe(true);
  });

  it('revokes its lease on close and aborts its signal without calling expiry listeners', async () => {
    testStore = await openTestStore();
    const { store, clock } = testStore;
    const session = await Session.create(store, { ttlMs: 3000, clock, timers: clock });
    await store.put('/brokers/1', value, { lease: session.leaseId });
    let expiredCalls = 0;
    session.onExpired(() => {
      expiredCalls += 1;
    });
    await session.close();
    expect(session.signal.aborted).toBe(true);
    expect(session.expired).toBe(false);
    expect(await store.get('/brokers/1')).toBeNull();
    await expect(store.keepAlive(session.leaseId)).rejects.toSatisfy(LeaseNotFoundError.isInstance);
    await clock.advance(10_000);
    expect(expiredCalls).toBe(0);
    expect(clock.pendingTimerCount).toBe(0);
  });

  it('keeps a short lease alive on real timers', async () => {
    testStore = await openTestStore({ realTime: true });
    const { store } = testStore;
    const session = await Session.create(store, { ttlMs: 150 });
    await store.put('/brokers/1', value, { lease: session.leaseId });
    await sleep(600);
    expect(session.signal.aborted).toBe(false);
    expect(await store.get('/brokers/1')).not.toBeNull();
    await session.close();
  });
});
