import { afterAll, beforeAll } from 'vitest';

/** Something a test starts and must stop: a broker, a mock cluster, a proxy. */
export interface Stoppable {
  stop(): Promise<void>;
}

export interface SuiteOptions<T> {
  /** How long starting may take (beforeAll's timeout). */
  readonly timeoutMs?: number;
  /** How to stop it, when not its own stop(). */
  readonly stop?: (started: T) => Promise<void>;
}

/**
 * Starts something before the tests of the enclosing suite (beforeAll) and stops it after them (afterAll).
 * Returns a stand-in that reads through to what was started, so that tests use it as if it were that thing;
 * reading it before it has started (outside a test or hook) or after it has stopped throws.
 */
export function startedForSuite<T extends Stoppable>(start: () => Promise<T>, options?: SuiteOptions<T>): T;
export function startedForSuite<T extends object>(
  start: () => Promise<T> | T,
  options: SuiteOptions<T> & { readonly stop: (started: T) => Promise<void> },
): T;
export function startedForSuite<T extends object>(
  start: () => Promise<T> | T,
  options: SuiteOptions<T> = {},
): T {
  const stop = options.stop ?? ((started: T) => (started as T & Stoppable).stop());
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  }, options.timeoutMs);
  afterAll(async () => {
    const stopping = started;
    started = undefined;
    if (stopping !== undefined) await stop(stopping);
  });
  return new Proxy({} as T, {
    get(_, property) {
      if (started === undefined)
        throw new Error(`read ${String(property)} of something the suite has not started (or has stopped)`);
      const value: unknown = Reflect.get(started, property, started);
      return typeof value === 'function' ? value.bind(started) : value;
    },
    has(_, property) {
      return started !== undefined && property in started;
    },
  });
}
