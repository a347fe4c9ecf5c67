/**
 * Time and randomness, injected into every piece of logic that waits, retries or chooses, so that tests decide
 * what "now" is and which way a coin falls. Nothing in @sluice/network calls Date.now, setTimeout or
 * Math.random directly except the system implementations below.
 */

export type TimerHandle = { readonly id: unknown };

export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
  /**
   * Calls `callback` after `delayMs`. The timer does not keep the process alive unless `keepAlive` is set:
   * background timers (metadata refresh, request timeouts) must not, but a wait that an operation the
   * application awaits depends on (a retry backoff) must, or Node exits with the operation unsettled.
   */
  setTimeout(callback: () => void, delayMs: number, options?: { keepAlive?: boolean }): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** A source of uniform random numbers in [0, 1). */
export type RandomSource = () => number;

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimeout: (callback, delayMs, options) => {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    if (!options?.keepAlive) timer.unref();
    return { id: timer };
  },
  clearTimeout: (handle) => clearTimeout(handle.id as NodeJS.Timeout),
};

export const systemRandom: RandomSource = () => Math.random();

/** A random source from a seed (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Resolves after `delayMs` on `clock`, or rejects with the signal's reason when it aborts first. The wait keeps
 * the process alive: whoever awaits it is waiting for an answer.
 */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = clock.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      delayMs,
      { keepAlive: true },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface ManualTimer {
  readonly id: number;
  readonly dueMs: number;
  readonly callback: () => void;
}

/**
 * A clock that only moves when told to, for tests: `advance(ms)` runs the timers that fall due, in order.
 */
export class ManualClock implements Clock {
  private currentMs: number;
  private nextId = 1;
  /** Pending timers, unordered; `advance` picks the earliest each time. */
  private readonly timers = new Map<number, ManualTimer>();

  constructor(startMs = 1_700_000_000_000) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, dueMs: this.currentMs + Math.max(0, delayMs), callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id as number);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `delayMs`, running each timer that falls due (and the microtasks it queues). */
  async advance(delayMs: number): Promise<void> {
    const targetMs = this.currentMs + delayMs;
    for (;;) {
      // Let the promise chains of the last timer (or of the caller) run, so their timers are registered.
      await new Promise<void>((resolve) => setImmediate(resolve));
      let earliest: ManualTimer | undefined;
      for (const timer of this.timers.values()) {
        if (timer.dueMs <= targetMs && (earliest === undefined || timer.dueMs < earliest.dueMs))
          earliest = timer;
      }
      if (earliest === undefined) break;
      this.timers.delete(earliest.id);
      this.currentMs = Math.max(this.currentMs, earliest.dueMs);
      earliest.callback();
    }
    this.currentMs = targetMs;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
