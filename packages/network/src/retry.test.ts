import { ErrorCode, errorClassByCode, InvalidTopicError, NotLeaderOrFollowerError } from '@sluice/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff.js';
import { ManualClock, seededRandom } from './clock.js';
import { ConnectionError } from './errors.js';
import { retry } from './retry.js';

describe('retry', () => {
  it('waits a full-jitter exponential backoff: uniform below min(max, base * 2^attempt)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (attempt, baseMs, maxMs, draw) => {
          const delay = backoffMs(attempt, baseMs, maxMs, () => draw);
          const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
          return delay >= 0 && delay < ceiling && delay === Math.floor(draw * ceiling);
        },
      ),
    );
  });

  it('retries retriable errors until the operation succeeds, backing off between attempts', async () => {
    const clock = new ManualClock();
    const started = clock.nowMs();
    const attemptTimes: number[] = [];
    const done = retry(
      async (attempt) => {
        attemptTimes.push(clock.nowMs() - started);
        if (attempt < 3) throw new NotLeaderOrFollowerError();
        return 'ok';
      },
      {
        retryBackoffMs: 100,
        retryBackoffMaxMs: 1_000,
        deadlineMs: started + 10_000,
        clock,
        random: () => 0.5,
      },
    );
    await clock.advance(1_000);
    await expect(done).resolves.toBe('ok');
    // Half of 100, 200 and 400 ms: 50, then 100, then 200 later.
    expect(attemptTimes).toEqual([0, 50, 150, 350]);
  });

  it('gives up at once on an error that is not retriable', async () => {
    const clock = new ManualClock();
    let attempts = 0;
    await expect(
      retry(
        async () => {
          attempts++;
          throw new InvalidTopicError('bad name');
        },
        {
          retryBackoffMs: 100,
          retryBackoffMaxMs: 1_000,
          deadlineMs: clock.nowMs() + 10_000,
          clock,
          random: Math.random,
        },
      ),
    ).rejects.toBeInstanceOf(InvalidTopicError);
    expect(attempts).toBe(1);
  });

  it('stops when the next attempt would start after the deadline, with the last error', async () => {
    const clock = new ManualClock();
    const started = clock.nowMs();
    let attempts = 0;
    const done = retry(
      async () => {
        attempts++;
        throw new ConnectionError(`refused ${attempts}`, 'h:1');
      },
      { retryBackoffMs: 100, retryBackoffMaxMs: 100, deadlineMs: started + 250, clock, random: () => 0.99 },
    );
    const outcome = done.catch((error: Error) => error);
    await clock.advance(1_000);
    const error = await outcome;
    expect(ConnectionError.isInstance(error)).toBe(true);
    // Attempts at 0, 99 and 198 ms; the next would start at 297, past 250.
    expect(attempts).toBe(3);
    expect((error as Error).message).toBe('refused 3');
  });

  it('honours a retry count and calls onRetry before each backoff', async () => {
    const clock = new ManualClock();
    const retried: number[] = [];
    const outcome = retry(
      async () => {
        throw new (errorClassByCode.get(ErrorCode.LEADER_NOT_AVAILABLE)!)();
      },
      {
        retryBackoffMs: 10,
        retryBackoffMaxMs: 10,
        deadlineMs: clock.nowMs() + 100_000,
        maxRetries: 2,
        clock,
        random: seededRandom(7),
        onRetry: (_error, attempt) => retried.push(attempt),
      },
    ).catch((error: Error) => error);
    await clock.advance(1_000);
    expect((await outcome).name).toBe('LeaderNotAvailableError');
    expect(retried).toEqual([0, 1]);
  });

  it('stops waiting when its signal aborts', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const outcome = retry(
      async () => {
        throw new ConnectionError('refused', 'h:1');
      },
      {
        retryBackoffMs: 1_000,
        retryBackoffMaxMs: 1_000,
        deadlineMs: clock.nowMs() + 100_000,
        clock,
        random: () => 0.5,
        signal: controller.signal,
      },
    ).catch((error: Error) => error);
    await clock.advance(10);
    controller.abort(new Error('stop'));
    expect((await outcome).message).toBe('stop');
  });
});
