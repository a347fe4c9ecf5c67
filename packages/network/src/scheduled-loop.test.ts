import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { ScheduledLoop } from './scheduled-loop.js';

/** A loop that records when it ran and does what the test sets for the next run. */
class RecordingLoop extends ScheduledLoop {
  readonly runsAtMs: number[] = [];
  readonly errors: unknown[] = [];
  onRun: () => void = () => {};

  constructor(clock: ManualClock) {
    super(clock, (error) => this.errors.push(error));
  }

  protected override run(): void {
    this.runsAtMs.push(this.clock.nowMs());
    this.onRun();
  }
}

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ScheduledLoop', () => {
  it('runs once for many schedule calls made together, after the current synchronous work', async () => {
    const loop = new RecordingLoop(new ManualClock(0));
    loop.schedule();
    loop.schedule();
    loop.schedule();
    expect(loop.runsAtMs).toEqual([]);
    await immediate();
    expect(loop.runsAtMs).toEqual([0]);
    loop.schedule();
    await immediate();
    expect(loop.runsAtMs).toEqual([0, 0]);
  });

  it('wakes at the earliest time asked for, keeping one timer', async () => {
    const clock = new ManualClock(0);
    const loop = new RecordingLoop(clock);
    loop.wakeAt(500);
    loop.wakeAt(100);
    loop.wakeAt(300);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(99);
    await immediate();
    expect(loop.runsAtMs).toEqual([]);
    await clock.advance(1);
    await immediate();
    expect(loop.runsAtMs).toEqual([100]);
    // Once that timer fired, a later time may be asked for again.
    loop.wakeAt(300);
    await clock.advance(200);
    await immediate();
    expect(loop.runsAtMs).toEqual([100, 300]);
  });

  it('reports a run that throws and goes on running', async () => {
    const loop = new RecordingLoop(new ManualClock(0));
    const failure = new Error('boom');
    loop.onRun = () => {
      throw failure;
    };
    loop.schedule();
    await immediate();
    expect(loop.errors).toEqual([failure]);
    loop.onRun = () => {};
    loop.schedule();
    await immediate();
    expect(loop.runsAtMs).toHaveLength(2);
  });

  it('never runs again once stopped, not even a run already queued or a timer already set', async () => {
    const clock = new ManualClock(0);
    const loop = new RecordingLoop(clock);
    loop.wakeAt(50);
    loop.schedule();
    loop.stop();
    expect(loop.stopped).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    await immediate();
    loop.schedule();
    loop.wakeAt(10);
    await clock.advance(100);
    await immediate();
    expect(loop.runsAtMs).toEqual([]);
  });
});
