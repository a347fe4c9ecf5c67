import { ConnectionError, ManualClock } from '@sluice/network';
import { NotControllerError, TopicAlreadyExistsError } from '@sluice/protocol';
import { describe, expect, it } from 'vitest';
import { markFinal, retryItems, throwFailures } from './retry-items.js';

describe('retryItems', () => {
  it('sends again only the items that failed retriably, never those that succeeded or failed for good', async () => {
    const clock = new ManualClock();
    const rounds: string[][] = [];
    const outcome = retryItems(
      ['created', 'exists', 'moved', 'unlucky'],
      async (pending) => {
        rounds.push(pending);
        return new Map(
          pending.map((item): [string, true | Error] => {
            if (item === 'exists') return [item, new TopicAlreadyExistsError()];
            if (item === 'moved' && rounds.length === 1) return [item, new NotControllerError()];
            if (item === 'unlucky' && rounds.length < 3) return [item, new ConnectionError('reset', 'h:1')];
            return [item, true];
          }),
        );
      },
      {
        deadlineMs: clock.nowMs() + 10_000,
        retryBackoffMs: 10,
        retryBackoffMaxMs: 10,
        clock,
        random: () => 0.5,
      },
    );
    await clock.advance(100);
    const outcomes = await outcome;
    expect(rounds).toEqual([['created', 'exists', 'moved', 'unlucky'], ['moved', 'unlucky'], ['unlucky']]);
    expect(outcomes.get('created')).toBe(true);
    expect(outcomes.get('exists')).toBeInstanceOf(TopicAlreadyExistsError);
    expect(outcomes.get('moved')).toBe(true);
    expect(outcomes.get('unlucky')).toBe(true);
  });

  it('keeps the last error of an item still failing at the deadline, and never retries one marked final', async () => {
    const clock = new ManualClock();
    let rounds = 0;
    const outcome = retryItems(
      ['flaky', 'final'],
      async (pending) => {
        rounds++;
        return new Map(
          pending.map((item): [string, Error] => [
            item,
            item === 'final' ? markFinal(new NotControllerError()) : new NotControllerError(),
          ]),
        );
      },
      {
        deadlineMs: clock.nowMs() + 55,
        retryBackoffMs: 20,
        retryBackoffMaxMs: 20,
        clock,
        random: () => 0.99,
      },
    );
    await clock.advance(1_000);
    const outcomes = await outcome;
    expect(rounds).toBe(3);
    expect(() => throwFailures('createTopics', outcomes)).toThrow(AggregateError);
    expect(() => throwFailures('x', new Map([['a', new NotControllerError('only one')]]))).toThrow(
      'only one',
    );
  });
});
