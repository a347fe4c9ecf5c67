import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  canTransition,
  IllegalMembershipTransitionError,
  MEMBERSHIP_TRANSITIONS,
  type MembershipStateKind,
} from './membership-state.js';

const KINDS = Object.keys(MEMBERSHIP_TRANSITIONS) as MembershipStateKind[];

describe('the membership lifecycle', () => {
  it('goes through a rebalance: idle, joining, syncing, stable, and back to joining for the next one', () => {
    const path: MembershipStateKind[] = [
      'idle',
      'joining',
      'syncing',
      'stable',
      'joining',
      'syncing',
      'stable',
    ];
    for (let i = 1; i < path.length; i++) expect(() => assertTransition(path[i - 1], path[i])).not.toThrow();
  });

  it('leaves from any live state, and ends in closed, from which nothing leads anywhere', () => {
    for (const kind of ['idle', 'joining', 'syncing', 'stable'] as const)
      expect(canTransition(kind, 'leaving')).toBe(true);
    for (const kind of KINDS.filter((kind) => kind !== 'closed'))
      expect(canTransition(kind, 'closed')).toBe(true);
    expect(MEMBERSHIP_TRANSITIONS.closed).toEqual([]);
  });

  it('refuses shortcuts with an assertion error naming both states', () => {
    expect(() => assertTransition('idle', 'stable')).toThrow(IllegalMembershipTransitionError);
    expect(() => assertTransition('joining', 'stable')).toThrow(/from joining to stable/);
    expect(() => assertTransition('leaving', 'joining')).toThrow(IllegalMembershipTransitionError);
    expect(() => assertTransition('failed', 'joining')).toThrow(IllegalMembershipTransitionError);
  });

  it('names only states that exist', () => {
    for (const targets of Object.values(MEMBERSHIP_TRANSITIONS)) {
      for (const target of targets) expect(KINDS).toContain(target);
    }
  });
});
