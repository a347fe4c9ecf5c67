import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { Clock, TimerHandle, Timers } from './clock.js';

/** Timers one `advance` may fire before it decides a timer keeps rescheduling itself at the same instant. */
const TIMERS_PER_ADVANCE_MAX = 1_000_000;

interface ManualTimer {
  readonly dueMs: number;
  /** Order of creation, so that timers due at the same instant fire in the order they were set. */
  readonly sequence: number;
  readonly callback: () => void;
}

/**
 * A clock and timers that move only when told to: for tests and simulations of leases, sessions and
 * elections. `advance` runs every timer that falls due, each at its own due time, in order.
 */
export class ManualClock implements Clock, Timers {
  private currentMs: number;
  private sequence = 0;
  /** Pending timers by handle; a fired or cleared timer is removed. */
  private readonly timers = new Map<TimerHandle, ManualTimer>();

  constructor(startMs = 0) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = {};
    this.timers.set(handle, {
      dueMs: this.currentMs + Math.max(0, delayMs),
      sequence: this.sequence++,
      callback,
    });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  /** Timers set and not yet fired or cleared. */
  get pendingTimerCount(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `durationMs`. Each timer due by then fires with the clock at its due time; after
   * each one the event loop gets a turn, so promises it started settle before the next timer fires.
   */
  async advance(durationMs: number): Promise<void> {
    if (!(durationMs >= 0)) throw new RangeError(`durationMs must be >= 0, got ${durationMs}`);
    const targetMs = this.currentMs + durationMs;
    for (let fired = 0; ; fired++) {
      if (fired >= TIMERS_PER_ADVANCE_MAX) throw new Error('a timer keeps rescheduling itself without delay');
      const next = this.nextDue(targetMs);
      if (next === undefined) break;
      const [handle, timer] = next;
      this.timers.delete(handle);
      this.currentMs = timer.dueMs;
      timer.callback();
      await nextMacrotask();
    }
    this.currentMs = targetMs;
    await nextMacrotask();
  }

  private nextDue(limitMs: number): [TimerHandle, ManualTimer] | undefined {
    let best: [TimerHandle, ManualTimer] | undefined;
    for (const entry of this.timers) {
      const timer = entry[1];
      if (timer.dueMs > limitMs) continue;
      if (
        best === undefined ||
        timer.dueMs < best[1].dueMs ||
        (timer.dueMs === best[1].dueMs && timer.sequence < best[1].sequence)
      ) {
        best = entry;
      }
    }
    return best;
  }
}
