/**
 * The lifecycle of one consumer's membership in its group, as a discriminated union and a transition
 * table. Every change goes through `assertTransition`, so an illegal change is an assertion failure, never
 * a silent corruption.
 *
 * - `idle`: no group activity: not subscribed, or out of the group after a poll timeout until the
 *   application asks for records again.
 * - `joining`: looking the coordinator up and sending JoinGroup (again after a retriable error).
 * - `syncing`: joined a generation; SyncGroup in flight (the leader's carries the assignment it computed).
 * - `stable`: holds its assignment and heartbeats. A rebalance the group asks for (or this member needs)
 *   sends it back to `joining`.
 * - `leaving`: LeaveGroup in flight (unsubscribe, close, poll timeout).
 * - `failed`: an error no retry can cure (INCONSISTENT_GROUP_PROTOCOL, GROUP_AUTHORIZATION_FAILED,
 *   FENCED_INSTANCE_ID, ...); the application sees it; a new subscribe starts over.
 * - `closed`: the consumer is closed.
 */
export type MembershipState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'joining' }
  | {
      readonly kind: 'syncing';
      readonly generationId: number;
      readonly protocolName: string;
      readonly leader: boolean;
    }
  | { readonly kind: 'stable'; readonly generationId: number; readonly protocolName: string }
  | { readonly kind: 'leaving' }
  | { readonly kind: 'failed'; readonly error: Error }
  | { readonly kind: 'closed' };

export type MembershipStateKind = MembershipState['kind'];

/** For each state, the states it may move to. */
export const MEMBERSHIP_TRANSITIONS: Readonly<Record<MembershipStateKind, readonly MembershipStateKind[]>> = {
  idle: ['joining', 'leaving', 'failed', 'closed'],
  joining: ['joining', 'syncing', 'idle', 'leaving', 'failed', 'closed'],
  syncing: ['joining', 'stable', 'idle', 'leaving', 'failed', 'closed'],
  stable: ['joining', 'idle', 'leaving', 'failed', 'closed'],
  leaving: ['idle', 'closed'],
  failed: ['idle', 'closed'],
  closed: [],
};

export function canTransition(from: MembershipStateKind, to: MembershipStateKind): boolean {
  return MEMBERSHIP_TRANSITIONS[from].includes(to);
}

export class IllegalMembershipTransitionError extends Error {
  override readonly name = 'IllegalMembershipTransitionError';

  constructor(
    readonly from: MembershipStateKind,
    readonly to: MembershipStateKind,
  ) {
    super(
      `a group member cannot go from ${from} to ${to} (allowed: ${MEMBERSHIP_TRANSITIONS[from].join(', ') || 'none'})`,
    );
  }
}

export function assertTransition(from: MembershipStateKind, to: MembershipStateKind): void {
  if (!canTransition(from, to)) throw new IllegalMembershipTransitionError(from, to);
}
