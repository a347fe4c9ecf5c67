import { performance } from 'node:perf_hooks';

/**
 * Time as seen by the coordination code. Leases, sessions and elections read time only through a `Clock`
 * and schedule only through `Timers`, so tests and simulations can drive them with a manual clock.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences between two readings mean anything. */
  nowMs(): number;
}

/** An opaque handle returned by `Timers.setTimeout`. */
export type TimerHandle = object;

export interface Timers {
  /** Calls `callback` once, `delayMs` from now. Timers must not keep the process alive on their own. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The process's monotonic clock (`performance.now()`), immune to wall-clock steps. */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
};

/** Node's timers, unreferenced so that a pending lease check never holds the process open. */
export const systemTimers: Timers = {
  setTimeout(callback, delayMs) {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
