/**
 * The lifecycle of a consumer group, as Kafka's classic group protocol defines it:
 *
 * - `Empty`: no members; the group may still hold committed offsets (and its metadata until they expire).
 * - `PreparingRebalance`: a join round is open; members must (re)send JoinGroup before it closes.
 * - `CompletingRebalance`: the round closed with a new generation; waiting for the leader's assignment.
 * - `Stable`: every member has its assignment and heartbeats.
 * - `Dead`: removed (deleted, or expired); nothing more happens to it.
 *
 * The table lists, for each state, the states a group may come from. Every change goes through
 * `assertTransition`, so an illegal change is an assertion failure, never a silent corruption.
 */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = [
  'Empty',
  'PreparingRebalance',
  'CompletingRebalance',
  'Stable',
  'Dead',
];

/** For each state, the states a group may enter it from. */
export const VALID_PREVIOUS_STATES: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Empty', 'Stable', 'CompletingRebalance'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'],
};

export function canTransition(from: GroupState, to: GroupState): boolean {
  return VALID_PREVIOUS_STATES[to].includes(from);
}

export class IllegalGroupTransitionError extends Error {
  override readonly name = 'IllegalGroupTransitionError';
  constructor(
    readonly groupId: string,
    readonly from: GroupState,
    readonly to: GroupState,
  ) {
    super(
      `group ${JSON.stringify(groupId)} cannot go from ${from} to ${to} (allowed from: ${VALID_PREVIOUS_STATES[to].join(', ')})`,
    );
  }
}

export function assertTransition(groupId: string, from: GroupState, to: GroupState): void {
  if (!canTransition(from, to)) throw new IllegalGroupTransitionError(groupId, from, to);
}
