import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';

describe('ManualClock', () => {
  it('fires due timers in order, each at its own due time, and skips cleared ones', async () => {
    const clock = new ManualClock(100);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.nowMs()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.nowMs()}`), 10);
    const cleared = clock.setTimeout(() => fired.push('cleared'), 15);
    clock.setTimeout(() => fired.push(`late@${clock.nowMs()}`), 50);
    clock.clearTimeout(cleared);
    await clock.advance(30);
    expect(fired).toEqual(['a@110', 'b@120']);
    expect(clock.nowMs()).toBe(130);
    expect(clock.pendingTimerCount).toBe(1);
  });

  it('runs timers set by a timer when they fall due within the same advance', async () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const tick = () => {
      fired.push(clock.nowMs());
      clock.setTimeout(tick, 10);
    };
    clock.setTimeout(tick, 10);
    await clock.advance(35);
    expect(fired).toEqual([10, 20, 30]);
  });

  it('lets promises started by a timer settle before the next timer fires', async () => {
    const clock = new ManualClock();
    const order: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => order.push('first settled'));
    }, 1);
    clock.setTimeout(() => order.push('second fired'), 2);
    await clock.advance(2);
    expect(order).toEqual(['first settled', 'second fired']);
  });
});
