import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';

/** A fresh directory under os.tmpdir(); remove it with `removeTempDirectory`. */
export function makeTempDirectory(prefix = 'sluice-log-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeTempDirectory(directory: string): void {
  fs.rmSync(directory, { recursive: true, force: true });
}

/** Quiet logger for tests (set SLUICE_TEST_LOG=debug to see the log's own logs). */
export const testLogger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });

/** A clock tests move by hand. */
export class ManualClock {
  constructor(public timeMs = 1_700_000_000_000) {}
  nowMs(): number {
    return this.timeMs;
  }
  advance(ms: number): void {
    this.timeMs += ms;
  }
}

/** A scheduler tests run by hand: tasks fire only in `runDue`. */
export class ManualScheduler {
  private tasks: { run: () => void; dueMs: number; intervalMs: number | null; cancelled: boolean }[] = [];
  constructor(private readonly clock: ManualClock) {}
  scheduleOnce(run: () => void, delayMs: number) {
    const task = { run, dueMs: this.clock.nowMs() + delayMs, intervalMs: null, cancelled: false };
    this.tasks.push(task);
    return {
      cancel: () => {
        task.cancelled = true;
      },
    };
  }
  schedulePeriodic(run: () => void, intervalMs: number) {
    const task = { run, dueMs: this.clock.nowMs() + intervalMs, intervalMs, cancelled: false };
    this.tasks.push(task);
    return {
      cancel: () => {
        task.cancelled = true;
      },
    };
  }
  /** Runs every task due by now (periodic ones once per call). */
  runDue(): number {
    let ran = 0;
    for (const task of this.tasks.slice()) {
      if (task.cancelled || task.dueMs > this.clock.nowMs()) continue;
      ran++;
      task.run();
      if (task.intervalMs === null) task.cancelled = true;
      else task.dueMs = this.clock.nowMs() + task.intervalMs;
    }
    this.tasks = this.tasks.filter((task) => !task.cancelled);
    return ran;
  }
  get pendingCount(): number {
    return this.tasks.filter((task) => !task.cancelled).length;
  }
}
