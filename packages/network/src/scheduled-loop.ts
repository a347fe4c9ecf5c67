import type { Clock, TimerHandle } from './clock.js';

/**
 * A client's send or fetch loop (the producer's sender, the consumer's fetcher): `run` looks at what is
 * ready and starts the requests it can. It runs soon after a state change (`schedule`: after the current
 * synchronous work, so that what is queued together is sent together), or at a time (`wakeAt`: a linger,
 * a backoff, a delivery deadline), never more than once at a time. One timer is kept, for the earliest time
 * asked for; `stop` ends every run for good. A run that throws is reported to `onRunError` and the loop
 * goes on.
 */
export abstract class ScheduledLoop {
  protected readonly clock: Clock;
  private readonly onRunError: (error: unknown) => void;
  /** A run is queued (setImmediate). */
  private queued = false;
  /** The timer for the earliest time asked for, with its due time (infinite while there is none). */
  private timer: TimerHandle | null = null;
  private timerDueMs = Number.POSITIVE_INFINITY;
  private stoppedValue = false;

  protected constructor(clock: Clock, onRunError: (error: unknown) => void) {
    this.clock = clock;
    this.onRunError = onRunError;
  }

  /** One pass of the loop: start what can be started, and ask for the next run (`wakeAt`) if needed. */
  protected abstract run(): void;

  /** True once stopped: nothing runs any more. */
  get stopped(): boolean {
    return this.stoppedValue;
  }

  /** Runs soon, after the current synchronous work; a run already queued covers this one. */
  schedule(): void {
    if (this.queued || this.stoppedValue) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      if (this.stoppedValue) return;
      try {
        this.run();
      } catch (error) {
        this.onRunError(error);
      }
    });
  }

  /** Runs at `dueMs` (clock ms) at the latest. */
  wakeAt(dueMs: number): void {
    if (dueMs >= this.timerDueMs || this.stoppedValue) return;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timerDueMs = dueMs;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.timerDueMs = Number.POSITIVE_INFINITY;
        this.schedule();
      },
      Math.max(0, dueMs - this.clock.nowMs()),
    );
  }

  /** Stops for good: no more runs. */
  stop(): void {
    this.stoppedValue = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
