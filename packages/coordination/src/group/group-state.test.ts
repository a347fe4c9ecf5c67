import { describe, expect, it } from 'vitest';
import { GroupMetadata } from './group-metadata.js';
import {
  canTransition,
  GROUP_STATES,
  IllegalGroupTransitionError,
  VALID_PREVIOUS_STATES,
} from './group-state.js';

describe('group state transitions', () => {
  it("allows exactly Kafka's transitions", () => {
    const allowed = GROUP_STATES.flatMap((from) =>
      GROUP_STATES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'Empty->PreparingRebalance',
        'Empty->Dead',
        'PreparingRebalance->CompletingRebalance',
        'PreparingRebalance->Empty',
        'PreparingRebalance->Dead',
        'CompletingRebalance->Stable',
        'CompletingRebalance->PreparingRebalance',
        'CompletingRebalance->Dead',
        'Stable->PreparingRebalance',
        'Stable->Dead',
        'Dead->Dead',
      ].sort(),
    );
    expect(Object.keys(VALID_PREVIOUS_STATES).sort()).toEqual([...GROUP_STATES].sort());
  });

  it('refuses an illegal transition of a group and leaves its state alone', () => {
    const group = new GroupMetadata('g', 'Empty', 0);
    expect(() => group.transitionTo('Stable', 1)).toThrow(IllegalGroupTransitionError);
    expect(group.state).toBe('Empty');
    group.transitionTo('Dead', 2);
    expect(() => group.transitionTo('PreparingRebalance', 3)).toThrow(
      /cannot go from Dead to PreparingRebalance/,
    );
  });
});
