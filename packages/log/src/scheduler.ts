/** A cancellable timer. */
export interface ScheduledTask {
  cancel(): void;
}

/**
 * Timers, injected so tests can drive periodic work (retention, flush, checkpoints, delayed file deletion)
 * deterministically. The system scheduler unrefs its timers: they never keep the process alive.
 */
export interface Scheduler {
  /** Runs `task` once after `delayMs`. */
  scheduleOnce(task: () => void, delayMs: number): ScheduledTask;
  /** Runs `task` every `intervalMs` until cancelled. */
  schedulePeriodic(task: () => void, intervalMs: number): ScheduledTask;
}

/** setTimeout accepts at most 2^31-1 ms; longer delays (Kafka's "never" defaults) are clamped to it. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export const systemScheduler: Scheduler = {
  scheduleOnce(task, delayMs) {
    const timer = setTimeout(task, Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  schedulePeriodic(task, intervalMs) {
    const timer = setInterval(task, Math.min(Math.max(1, intervalMs), MAX_TIMER_DELAY_MS));
    timer.unref();
    return { cancel: () => clearInterval(timer) };
  },
};
