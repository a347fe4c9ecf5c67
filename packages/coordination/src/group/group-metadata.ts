import assert from 'node:assert/strict';
import { ErrorCode } from '@sluice/protocol';
import type { TimerHandle } from '../clock.js';
import { CONSUMER_PROTOCOL_TYPE, subscribedTopics } from './consumer-protocol.js';
import {
  EMPTY_BYTES,
  GroupMember,
  type JoinCallback,
  type JoinedMember,
  type JoinGroupResult,
  type MemberProtocol,
  type SyncGroupResult,
} from './group-member.js';
import type { GroupMetadataValue, OffsetCommitValue, StoredGroupMember } from './group-record-codec.js';
import { assertTransition, canTransition, type GroupState } from './group-state.js';

/** A committed offset as the coordinator holds it. */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly value: OffsetCommitValue;
  /** Order of the commit that wrote it in this group; a commit finishing late never overwrites a newer one. */
  readonly sequence: number;
}

export function offsetKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * The join round in progress (PreparingRebalance only). `initial`: the first round of an Empty group, which
 * waits `group.initial.rebalance.delay.ms` and again while new members keep arriving, up to the rebalance
 * timeout in total (`remainingMs` left). `regular`: closes as soon as every member has rejoined, or when the
 * rebalance timeout passes.
 */
export type JoinOperation =
  | { readonly kind: 'initial'; readonly timer: TimerHandle; readonly remainingMs: number }
  | { readonly kind: 'regular'; readonly timer: TimerHandle };

/** A member id handed out with MEMBER_ID_REQUIRED that has not joined with it yet. */
export interface PendingMember {
  readonly deadlineMs: number;
  readonly timer: TimerHandle;
}

export interface GroupOverview {
  readonly groupId: string;
  readonly protocolType: string;
  readonly state: GroupState;
}

export interface MemberSummary {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** The member's metadata for the selected protocol (Stable groups only; empty otherwise). */
  readonly metadata: Buffer;
  /** Its assignment (Stable groups only; empty otherwise). */
  readonly assignment: Buffer;
}

export interface GroupSummary {
  readonly groupId: string;
  readonly state: GroupState;
  readonly protocolType: string;
  /** The selected protocol while Stable, else the empty string (as Kafka answers DescribeGroups). */
  readonly protocolData: string;
  readonly members: readonly MemberSummary[];
}

/**
 * One consumer group: its state, generation, selected protocol, leader, members, pending member ids and
 * committed offsets. No I/O and no clock: the coordinator decides when things happen and passes the time;
 * this class keeps the bookkeeping consistent. `checkInvariants` states what always holds between two
 * coordinator operations.
 */
export class GroupMetadata {
  private currentState: GroupState;
  /** Bumped by every completed join round; 0 for a group that never completed one. */
  generationId = 0;
  /** The protocol type of the members (`consumer` for consumers); null for a group that only stores offsets. */
  protocolType: string | null = null;
  /** The protocol chosen for the current generation; null while Empty. */
  protocolName: string | null = null;
  /** A member's id; null exactly when the group has no members. */
  leaderId: string | null = null;
  /** Wall-clock time the group entered its state (offset expiry of Empty groups counts from it). */
  currentStateTimestampMs: number | null;
  /** Members in the order they joined. */
  private readonly memberMap = new Map<string, GroupMember>();
  /** group.instance.id → member id, for every static member. */
  private readonly staticMembers = new Map<string, string>();
  /** For each protocol name, how many members offer it. */
  private readonly supportedProtocols = new Map<string, number>();
  /** Members whose `awaitingJoin` is set. */
  private awaitingJoinCount = 0;
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet used to join. */
  readonly pendingMembers = new Map<string, PendingMember>();
  /** A member joined during the initial join round's current delay (the round waits once more). */
  newMemberAdded = false;
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** The join round in progress: set exactly while PreparingRebalance. */
  joinOperation: JoinOperation | null = null;
  /** Fires when the members of the current generation had their rebalance timeout to send SyncGroup. */
  syncTimer: TimerHandle | null = null;
  /** Committed offsets by `offsetKey`. */
  readonly offsets = new Map<string, CommittedOffset>();
  /** Commits being written, by `offsetKey` (expiry and deletion leave these partitions alone). */
  readonly pendingOffsetCommits = new Map<string, number>();
  /** Sequence of the last commit started. */
  commitSequence = 0;

  constructor(
    readonly groupId: string,
    initialState: 'Empty' | 'Stable',
    nowWallMs: number | null,
  ) {
    this.currentState = initialState;
    this.currentStateTimestampMs = nowWallMs;
  }

  get state(): GroupState {
    return this.currentState;
  }

  is(state: GroupState): boolean {
    return this.currentState === state;
  }

  transitionTo(state: GroupState, nowWallMs: number): void {
    assertTransition(this.groupId, this.currentState, state);
    this.currentState = state;
    this.currentStateTimestampMs = nowWallMs;
  }

  /** A rebalance may start from here (PreparingRebalance is reachable). */
  get canRebalance(): boolean {
    return canTransition(this.currentState, 'PreparingRebalance');
  }

  /** Members and pending member ids: what `group.max.size` limits. */
  get size(): number {
    return this.memberMap.size + this.pendingMembers.size;
  }

  get memberCount(): number {
    return this.memberMap.size;
  }

  allMembers(): IterableIterator<GroupMember> {
    return this.memberMap.values();
  }

  has(memberId: string): boolean {
    return this.memberMap.has(memberId);
  }

  get(memberId: string): GroupMember {
    const member = this.memberMap.get(memberId);
    assert(member, `group ${this.groupId} has no member ${memberId}`);
    return member;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  hasStaticMember(groupInstanceId: string | null): boolean {
    return groupInstanceId !== null && this.staticMembers.has(groupInstanceId);
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** A request naming `groupInstanceId` with a member id other than the instance's current one. */
  isStaticMemberFenced(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  get hasOffsets(): boolean {
    return this.offsets.size > 0 || this.pendingOffsetCommits.size > 0;
  }

  /** The longest rebalance timeout of the members: how long a join round waits. */
  get rebalanceTimeoutMs(): number {
    let longest = 0;
    for (const member of this.memberMap.values()) longest = Math.max(longest, member.rebalanceTimeoutMs);
    return longest;
  }

  add(member: GroupMember, callback: JoinCallback | null): void {
    assert(!this.memberMap.has(member.memberId), `member ${member.memberId} is already in ${this.groupId}`);
    assert(!this.pendingMembers.has(member.memberId), `member ${member.memberId} is still pending`);
    if (this.memberMap.size === 0) this.protocolType = member.protocolType;
    assert.equal(member.protocolType, this.protocolType, 'a member of another protocol type');
    this.memberMap.set(member.memberId, member);
    this.leaderId ??= member.memberId;
    this.countProtocols(member.protocols, 1);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (callback) this.setAwaitingJoin(member, callback);
  }

  /** Removes a member; its waiting requests must have been answered by the caller. */
  remove(memberId: string): GroupMember {
    const member = this.get(memberId);
    assert(
      member.awaitingJoin === null && member.awaitingSync === null,
      'removing a member with a waiting request',
    );
    this.memberMap.delete(memberId);
    this.countProtocols(member.protocols, -1);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    this.pendingSyncMembers.delete(memberId);
    if (this.leaderId === memberId) {
      const next = this.memberMap.keys().next();
      this.leaderId = next.done ? null : next.value;
    }
    return member;
  }

  /** A known member rejoins: new protocols and timeouts, and its JoinGroup waits for the round. */
  updateMember(
    member: GroupMember,
    protocols: readonly MemberProtocol[],
    timeouts: { rebalanceTimeoutMs: number; sessionTimeoutMs: number },
    callback: JoinCallback | null,
  ): void {
    this.countProtocols(member.protocols, -1);
    member.protocols = protocols;
    this.countProtocols(protocols, 1);
    member.rebalanceTimeoutMs = timeouts.rebalanceTimeoutMs;
    member.sessionTimeoutMs = timeouts.sessionTimeoutMs;
    if (callback) this.setAwaitingJoin(member, callback);
  }

  /**
   * Parks a member's JoinGroup. A JoinGroup already parked for it (a retry on another connection) is answered
   * with REBALANCE_IN_PROGRESS, so that no request waits forever.
   */
  setAwaitingJoin(member: GroupMember, callback: JoinCallback): void {
    const previous = member.awaitingJoin;
    if (previous === null) this.awaitingJoinCount++;
    member.awaitingJoin = callback;
    previous?.(joinErrorResult(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  }

  /** Answers the member's parked JoinGroup, if any. */
  invokeJoinCallback(member: GroupMember, result: JoinGroupResult): boolean {
    const callback = member.awaitingJoin;
    if (callback === null) return false;
    member.awaitingJoin = null;
    this.awaitingJoinCount--;
    callback(result);
    return true;
  }

  /** Answers the member's parked SyncGroup, if any. */
  invokeSyncCallback(member: GroupMember, result: SyncGroupResult): boolean {
    const callback = member.awaitingSync;
    if (callback === null) return false;
    member.awaitingSync = null;
    callback(result);
    return true;
  }

  /**
   * Whether a member offering `protocols` of `protocolType` could join: an Empty group takes any non-empty
   * offer; otherwise the type must match and one protocol must be offered by every member already in.
   */
  supportsProtocols(protocolType: string, protocols: readonly MemberProtocol[]): boolean {
    if (this.is('Empty')) return protocolType.length > 0 && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    return protocols.some(
      (protocol) => (this.supportedProtocols.get(protocol.name) ?? 0) === this.memberMap.size,
    );
  }

  /**
   * The protocol of the next generation: among those every member offers, the one most members prefer (each
   * member votes for the first candidate in its own list); a tie goes to the candidate offered earliest.
   */
  selectProtocol(): string {
    assert(this.memberMap.size > 0, 'selecting a protocol for a group without members');
    const candidates = [...this.supportedProtocols]
      .filter(([, count]) => count === this.memberMap.size)
      .map(([name]) => name);
    assert(candidates.length > 0, `the members of ${this.groupId} share no protocol`);
    const votes = new Map<string, number>(candidates.map((name) => [name, 0]));
    for (const member of this.memberMap.values()) {
      const choice = member.protocols.find((protocol) => votes.has(protocol.name));
      assert(choice, 'a member offers none of the candidates');
      votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best = candidates[0];
    for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  /** Every member has rejoined and no handed-out member id is still to come. */
  get hasAllMembersJoined(): boolean {
    return this.awaitingJoinCount === this.memberMap.size && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): GroupMember[] {
    return [...this.memberMap.values()].filter((member) => member.awaitingJoin === null);
  }

  /** Keeps the leader if it rejoined, else makes any rejoined member leader; false when none rejoined. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.get(this.leaderId).awaitingJoin !== null) return true;
    for (const member of this.memberMap.values()) {
      if (member.awaitingJoin !== null) {
        this.leaderId = member.memberId;
        return true;
      }
    }
    return false;
  }

  /** Closes a join round: the next generation, with a protocol if there are members, else Empty. */
  initNextGeneration(nowWallMs: number): void {
    assert(this.is('PreparingRebalance'), `initNextGeneration in ${this.currentState}`);
    this.generationId++;
    if (this.memberMap.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance', nowWallMs);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', nowWallMs);
    }
  }

  /**
   * A static member came back with a new member id: the same member (protocols, assignment, timeouts) under
   * the new id, in the same place (leader if the old one was). The old member's waiting requests must have
   * been answered by the caller.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): GroupMember {
    const old = this.get(oldMemberId);
    assert.equal(old.groupInstanceId, groupInstanceId, 'replacing a member of another instance');
    assert(
      old.awaitingJoin === null && old.awaitingSync === null,
      'replacing a member with a waiting request',
    );
    const replacement = new GroupMember(newMemberId, groupInstanceId, old.protocolType, {
      clientId: old.clientId,
      clientHost: old.clientHost,
      rebalanceTimeoutMs: old.rebalanceTimeoutMs,
      sessionTimeoutMs: old.sessionTimeoutMs,
      protocols: old.protocols,
    });
    replacement.assignment = old.assignment;
    // Rebuild the map so that the replacement keeps the old member's position (leader fallback order).
    const entries = [...this.memberMap];
    this.memberMap.clear();
    for (const [id, member] of entries) {
      if (id === oldMemberId) this.memberMap.set(newMemberId, replacement);
      else this.memberMap.set(id, member);
    }
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return replacement;
  }

  /** The members with their metadata for the selected protocol: what the leader assigns from. */
  currentMemberMetadata(): JoinedMember[] {
    const protocolName = this.protocolName;
    assert(protocolName !== null, 'member metadata without a selected protocol');
    return [...this.memberMap.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      metadata: member.metadataFor(protocolName),
    }));
  }

  overview(): GroupOverview {
    return { groupId: this.groupId, protocolType: this.protocolType ?? '', state: this.currentState };
  }

  summary(): GroupSummary {
    const stable = this.is('Stable');
    return {
      groupId: this.groupId,
      state: this.currentState,
      protocolType: this.protocolType ?? '',
      protocolData: stable ? (this.protocolName ?? '') : '',
      members: [...this.memberMap.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        metadata: stable && this.protocolName !== null ? member.metadataFor(this.protocolName) : EMPTY_BYTES,
        assignment: stable ? member.assignment : EMPTY_BYTES,
      })),
    };
  }

  /**
   * The topics the members subscribe to, for a consumer group with a selected protocol; null when the group
   * is of another type or has no protocol (nothing can be said).
   */
  subscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const member of this.memberMap.values()) {
      const listed = subscribedTopics(member.metadataFor(this.protocolName));
      if (listed === null) return null;
      for (const topic of listed) topics.add(topic);
    }
    return topics;
  }

  /** The group metadata record: the members with `assignments` (by member id), or their current ones. */
  storedValue(assignments?: ReadonlyMap<string, Buffer>): GroupMetadataValue {
    const protocolName = this.protocolName;
    const members: StoredGroupMember[] = [...this.memberMap.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
      sessionTimeoutMs: member.sessionTimeoutMs,
      subscription: protocolName === null ? EMPTY_BYTES : member.metadataFor(protocolName),
      assignment: assignments?.get(member.memberId) ?? member.assignment,
    }));
    return {
      protocolType: this.protocolType ?? '',
      generationId: this.generationId,
      protocolName,
      leaderId: this.leaderId,
      currentStateTimestampMs: this.currentStateTimestampMs,
      members,
    };
  }

  /**
   * A group as its last metadata record left it: Stable with its members if it had any, else Empty. A loaded
   * member offers only the selected protocol, with the metadata it had.
   */
  static fromStored(groupId: string, value: GroupMetadataValue): GroupMetadata {
    const hasMembers = value.members.length > 0 && value.protocolName !== null;
    const group = new GroupMetadata(groupId, hasMembers ? 'Stable' : 'Empty', value.currentStateTimestampMs);
    group.generationId = value.generationId;
    group.protocolType = value.protocolType.length > 0 ? value.protocolType : null;
    if (!hasMembers) return group;
    group.protocolName = value.protocolName;
    for (const stored of value.members) {
      const member = new GroupMember(stored.memberId, stored.groupInstanceId, value.protocolType, {
        clientId: stored.clientId,
        clientHost: stored.clientHost,
        rebalanceTimeoutMs: stored.rebalanceTimeoutMs,
        sessionTimeoutMs: stored.sessionTimeoutMs,
        protocols: [{ name: value.protocolName!, metadata: stored.subscription }],
      });
      member.assignment = stored.assignment;
      group.add(member, null);
    }
    if (value.leaderId !== null && group.has(value.leaderId)) group.leaderId = value.leaderId;
    return group;
  }

  private countProtocols(protocols: readonly MemberProtocol[], delta: 1 | -1): void {
    for (const { name } of protocols) {
      const count = (this.supportedProtocols.get(name) ?? 0) + delta;
      assert(count >= 0, `protocol count of ${name} below zero`);
      if (count === 0) this.supportedProtocols.delete(name);
      else this.supportedProtocols.set(name, count);
    }
  }

  /** What holds between two coordinator operations; throws an AssertionError naming what broke. */
  checkInvariants(): void {
    const where = `group ${JSON.stringify(this.groupId)} (${this.currentState}, generation ${this.generationId})`;
    const members = this.memberMap;
    assert(this.generationId >= 0, `${where}: negative generation`);
    assert.equal(
      this.leaderId === null,
      members.size === 0,
      `${where}: a leader exactly when there are members`,
    );
    if (this.leaderId !== null) assert(members.has(this.leaderId), `${where}: the leader is not a member`);
    if (this.is('Empty') || this.is('Dead')) {
      assert.equal(members.size, 0, `${where}: members in an ${this.currentState} group`);
      assert.equal(this.protocolName, null, `${where}: a protocol without members`);
    }
    if (this.is('Stable') || this.is('CompletingRebalance')) {
      assert(members.size > 0, `${where}: no members`);
      assert(this.protocolName !== null, `${where}: no protocol selected`);
    }
    assert.equal(
      this.joinOperation !== null,
      this.is('PreparingRebalance'),
      `${where}: join round and state disagree`,
    );
    if (!this.is('CompletingRebalance') && !this.is('Stable')) {
      assert.equal(this.pendingSyncMembers.size, 0, `${where}: members pending sync outside a generation`);
      assert.equal(this.syncTimer, null, `${where}: a sync timer outside a generation`);
    }
    let awaitingJoin = 0;
    const protocolCounts = new Map<string, number>();
    for (const [id, member] of members) {
      assert.equal(member.memberId, id, `${where}: member stored under another id`);
      assert.equal(member.protocolType, this.protocolType, `${where}: member ${id} of another protocol type`);
      assert(!this.pendingMembers.has(id), `${where}: ${id} both member and pending`);
      if (member.awaitingJoin !== null) awaitingJoin++;
      if (member.awaitingJoin !== null)
        assert(this.is('PreparingRebalance'), `${where}: ${id} waits to join`);
      if (member.awaitingSync !== null)
        assert(this.is('CompletingRebalance'), `${where}: ${id} waits to sync`);
      if (this.protocolName !== null && !this.is('PreparingRebalance')) {
        assert(
          member.protocols.some((protocol) => protocol.name === this.protocolName),
          `${where}: ${id} does not offer the selected protocol`,
        );
      }
      if (member.groupInstanceId !== null) {
        assert.equal(
          this.staticMembers.get(member.groupInstanceId),
          id,
          `${where}: static member ${id} unmapped`,
        );
      }
      for (const { name } of member.protocols) protocolCounts.set(name, (protocolCounts.get(name) ?? 0) + 1);
    }
    assert.equal(awaitingJoin, this.awaitingJoinCount, `${where}: awaiting-join count drifted`);
    assert.deepEqual(protocolCounts, this.supportedProtocols, `${where}: protocol counts drifted`);
    for (const [instanceId, memberId] of this.staticMembers) {
      assert.equal(
        members.get(memberId)?.groupInstanceId,
        instanceId,
        `${where}: instance ${instanceId} dangling`,
      );
    }
    for (const id of this.pendingSyncMembers)
      assert(members.has(id), `${where}: pending sync ${id} not a member`);
    for (const [key, count] of this.pendingOffsetCommits)
      assert(count > 0, `${where}: pending commit ${key} at ${count}`);
  }
}

/** A JoinGroup answer carrying only an error (and the member id to use, for MEMBER_ID_REQUIRED). */
export function joinErrorResult(memberId: string, errorCode: number): JoinGroupResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leaderId: '',
    memberId,
    members: [],
  };
}

export function syncErrorResult(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}
