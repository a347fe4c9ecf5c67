import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { CoordinationStore } from './coordination-store.js';
import { EmbeddedStore } from './embedded-store.js';
import { ManualClock } from './manual-clock.js';

/** Test helpers shared by the session and election tests; not part of the package's API. */

export interface TestStore {
  store: EmbeddedStore;
  clock: ManualClock;
  dispose(): Promise<void>;
}

/**
 * An embedded store in a fresh temp directory, on a manual clock (`clock`), or on the system clock and
 * timers with `realTime` (then `clock` drives nothing).
 */
export async function openTestStore(options?: { realTime?: boolean }): Promise<TestStore> {
  const directory = await mkdtemp(join(tmpdir(), 'sluice-coordination-'));
  const clock = new ManualClock();
  const store = await EmbeddedStore.open(
    options?.realTime ? { directory } : { directory, clock, timers: clock },
  );
  return {
    store,
    clock,
    dispose: async () => {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * The same store seen through a link that can be cut: once `cut()` is called, every request through it
 * waits forever, as with a store behind a network partition. The store itself keeps working for others.
 */
export function cuttableLink(store: CoordinationStore): { store: CoordinationStore; cut(): void } {
  let cut = false;
  const linked = new Proxy(store, {
    get(target, property, receiver) {
      const member = Reflect.get(target, property, receiver);
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) => (cut ? new Promise(() => undefined) : member.apply(target, args));
    },
  });
  return {
    store: linked,
    cut: () => {
      cut = true;
    },
  };
}

/** Whether `promise` has settled, after letting pending work run. */
export async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let turn = 0; turn < 5; turn++) await nextMacrotask();
  return settled;
}
