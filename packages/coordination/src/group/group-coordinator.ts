import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ErrorCode, KafkaError } from '@sluice/protocol';
import { type Logger, pino } from 'pino';
import { type Clock, systemClock, systemTimers, type TimerHandle, type Timers } from '../clock.js';
import { type GroupCoordinatorConfig, resolveGroupCoordinatorConfig } from './group-coordinator-config.js';
import {
  APPEND_BYTES_TARGET,
  GROUPS_MAX,
  OFFSET_METADATA_BYTES_MAX,
  OFFSETS_PER_GROUP_MAX,
  PARTITIONS_LOADING_MAX,
  PROTOCOL_METADATA_BYTES_MAX,
  PROTOCOLS_PER_MEMBER_MAX,
  RECORDS_PER_APPEND_MAX,
} from './group-limits.js';
import {
  EMPTY_BYTES,
  GroupMember,
  type JoinCallback,
  type JoinGroupResult,
  type MemberProtocol,
  type SyncCallback,
  type SyncGroupResult,
} from './group-member.js';
import {
  type CommittedOffset,
  GroupMetadata,
  type GroupOverview,
  type GroupSummary,
  joinErrorResult,
  offsetKey,
  syncErrorResult,
} from './group-metadata.js';
import { groupPartition } from './group-partitioner.js';
import type { GroupMetadataValue, GroupRecord, OffsetCommitValue } from './group-record-codec.js';
import type { GroupStorage } from './group-storage.js';

export interface JoinGroupInput {
  readonly groupId: string;
  /** Empty for a member joining for the first time (or after losing its id). */
  readonly memberId: string;
  /** Static membership (`group.instance.id`), or null. */
  readonly groupInstanceId: string | null;
  /** JoinGroup v4+: a dynamic member without an id gets one with MEMBER_ID_REQUIRED and joins again with it. */
  readonly requireKnownMemberId: boolean;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly MemberProtocol[];
}

export interface SyncGroupInput {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** SyncGroup v5: checked against the group's when given. */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** The leader's assignment (ignored from followers). */
  readonly assignments: readonly { readonly memberId: string; readonly assignment: Buffer }[];
}

export interface HeartbeatInput {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface LeaveGroupInput {
  readonly groupId: string;
  readonly members: readonly { readonly memberId: string; readonly groupInstanceId: string | null }[];
}

export interface LeaveGroupResult {
  readonly errorCode: number;
  readonly members: readonly { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface OffsetCommitInput {
  readonly groupId: string;
  /** -1 for a commit from outside group management (a "simple" consumer). */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** OffsetCommit v2-v4 `retention_time_ms`; -1 for the broker's rule. */
  readonly retentionTimeMs: number;
  readonly offsets: readonly {
    readonly topic: string;
    readonly partition: number;
    readonly offset: bigint;
    readonly leaderEpoch: number;
    readonly metadata: string | null;
  }[];
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface PartitionResult extends TopicPartition {
  readonly errorCode: number;
}

export interface FetchedOffset extends TopicPartition {
  /** -1 when the group has no offset for the partition. */
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly errorCode: number;
}

export interface OffsetFetchResult {
  readonly errorCode: number;
  readonly offsets: readonly FetchedOffset[];
}

export interface ListGroupsResult {
  readonly errorCode: number;
  readonly groups: readonly GroupOverview[];
}

export interface DescribeGroupResult extends Omit<GroupSummary, 'state'> {
  readonly errorCode: number;
  /** A state name, or the empty string with an error. */
  readonly state: string;
}

export interface DeleteGroupResult {
  readonly groupId: string;
  readonly errorCode: number;
}

export interface OffsetDeleteResult {
  readonly errorCode: number;
  readonly partitions: readonly PartitionResult[];
}

export interface GroupCoordinatorOptions {
  readonly config?: Partial<GroupCoordinatorConfig>;
  readonly storage: GroupStorage;
  /** Monotonic time for deadlines (sessions, join rounds). Default: the process's monotonic clock. */
  readonly clock?: Clock;
  readonly timers?: Timers;
  /** Wall-clock time (ms since the epoch) for what is stored: commit and state timestamps. */
  readonly wallClock?: Clock;
  /** The random part of new member ids (a UUID by default; a seeded source in simulations). */
  readonly newMemberIdSuffix?: () => string;
  readonly logger?: Logger;
}

type RequestKind =
  | 'join'
  | 'sync'
  | 'heartbeat'
  | 'leave'
  | 'commit'
  | 'fetch'
  | 'describe'
  | 'delete'
  | 'offset-delete';

/** Kafka lets these use the empty group id (offset storage without group management, and admin tools). */
const EMPTY_GROUP_ID_ALLOWED: ReadonlySet<RequestKind> = new Set(['commit', 'fetch', 'describe', 'delete']);

type PartitionLoadState = 'loading' | 'loaded' | 'failed';

const wallClockDefault: Clock = { nowMs: () => Date.now() };

/**
 * The group coordinator: membership, rebalances and committed offsets of consumer groups, with Kafka's
 * semantics (the classic protocol: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
 * plus the admin calls). It does no I/O of its own: time comes from a clock, delays from timers, and
 * persistence goes through a `GroupStorage` (the offsets topic), so a test can drive it step by step.
 *
 * A request that has to wait (a JoinGroup until the join round closes, a SyncGroup until the leader's
 * assignment is stored) returns a promise that settles exactly once: with its answer, with an error when the
 * member is removed or the round restarts, or with NOT_COORDINATOR at shutdown. Nothing waits forever.
 *
 * Timers, all cancelled or ignored once stale:
 * - per member, the session: no heartbeat (nor join or sync in progress) within `session.timeout.ms` removes
 *   it and the group rebalances;
 * - per group in PreparingRebalance, the join round: `rebalance.timeout.ms` (the longest of the members),
 *   after which members that did not rejoin are removed (dynamic ones at once, static ones by their
 *   session); the first round of an Empty group waits `group.initial.rebalance.delay.ms` for more members;
 * - per generation, the sync deadline: members that have not sent SyncGroup within the rebalance timeout
 *   are removed;
 * - per handed-out member id (MEMBER_ID_REQUIRED), its session timeout to come back;
 * - one for offset expiry every `offsets.retention.check.interval.ms`.
 */
export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  private readonly storage: GroupStorage;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly wallClock: Clock;
  private readonly newMemberIdSuffix: () => string;
  private readonly logger: Logger;
  /** Loaded groups, never Dead (a group is removed from here when it dies). */
  private readonly groups = new Map<string, GroupMetadata>();
  private readonly partitionStates: PartitionLoadState[];
  private active = false;
  private stopped = false;
  private retentionTimer: TimerHandle | null = null;

  constructor(options: GroupCoordinatorOptions) {
    this.config = resolveGroupCoordinatorConfig(options.config);
    this.storage = options.storage;
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.wallClock = options.wallClock ?? wallClockDefault;
    this.newMemberIdSuffix = options.newMemberIdSuffix ?? randomUUID;
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'group-coordinator' });
    this.partitionStates = new Array<PartitionLoadState>(this.config.offsetsTopicPartitionCount).fill(
      'loading',
    );
  }

  /** The partition of the offsets topic that holds `groupId`. */
  partitionFor(groupId: string): number {
    return groupPartition(groupId, this.config.offsetsTopicPartitionCount);
  }

  get groupCount(): number {
    return this.groups.size;
  }

  /** A loaded group, for inspection (tests, metrics); do not change it. */
  group(groupId: string): GroupMetadata | undefined {
    return this.groups.get(groupId);
  }

  get isLoading(): boolean {
    return this.partitionStates.includes('loading');
  }

  // ---- lifecycle ----

  /**
   * Starts serving: every partition of the offsets topic is replayed (requests for its groups get
   * COORDINATOR_LOAD_IN_PROGRESS until it is), then offset expiry is scheduled. Resolves once all are loaded.
   */
  async start(): Promise<void> {
    assert(!this.active && !this.stopped, 'the group coordinator was already started');
    this.active = true;
    const started = this.clock.nowMs();
    const queue = this.partitionStates.map((_, partition) => partition);
    const worker = async () => {
      for (let partition = queue.shift(); partition !== undefined; partition = queue.shift()) {
        await this.loadPartition(partition);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARTITIONS_LOADING_MAX, queue.length) }, worker));
    if (this.stopped) return;
    this.scheduleRetentionCheck();
    this.logger.info(
      { groups: this.groups.size, partitions: this.partitionStates.length, ms: this.clock.nowMs() - started },
      'group coordinator loaded',
    );
  }

  /**
   * Stops serving: every waiting JoinGroup and SyncGroup is answered NOT_COORDINATOR (the member finds the
   * coordinator again and rejoins), every timer is cancelled; later requests get COORDINATOR_NOT_AVAILABLE.
   */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.active = false;
    if (this.retentionTimer !== null) this.timers.clearTimeout(this.retentionTimer);
    this.retentionTimer = null;
    for (const group of this.groups.values()) {
      if (group.joinOperation !== null) this.timers.clearTimeout(group.joinOperation.timer);
      if (group.syncTimer !== null) this.timers.clearTimeout(group.syncTimer);
      for (const pending of group.pendingMembers.values()) this.timers.clearTimeout(pending.timer);
      for (const member of group.allMembers()) {
        this.cancelHeartbeat(member);
        group.invokeJoinCallback(member, joinErrorResult(member.memberId, ErrorCode.NOT_COORDINATOR));
        group.invokeSyncCallback(member, syncErrorResult(ErrorCode.NOT_COORDINATOR));
      }
    }
    this.groups.clear();
    this.logger.info('group coordinator stopped');
  }

  // ---- JoinGroup ----

  joinGroup(input: JoinGroupInput): Promise<JoinGroupResult> {
    return new Promise((resolve) => this.handleJoinGroup(input, once(resolve)));
  }

  private handleJoinGroup(input: JoinGroupInput, respond: JoinCallback): void {
    const { groupId, memberId } = input;
    const fail = (errorCode: number) => respond(joinErrorResult(memberId, errorCode));
    const status = this.validateGroupStatus(groupId, 'join');
    if (status !== ErrorCode.NONE) {
      fail(status);
      return;
    }
    if (
      input.protocols.length > PROTOCOLS_PER_MEMBER_MAX ||
      input.protocols.some((protocol) => protocol.metadata.length > PROTOCOL_METADATA_BYTES_MAX)
    ) {
      fail(ErrorCode.INVALID_REQUEST);
      return;
    }
    if (
      input.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs ||
      input.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs
    ) {
      fail(ErrorCode.INVALID_SESSION_TIMEOUT);
      return;
    }
    const isUnknownMember = memberId === '';
    let group = this.groups.get(groupId);
    if (!group) {
      // Only a member without an id may create a group; one with an id belongs to a group that is gone.
      if (!isUnknownMember) {
        fail(ErrorCode.UNKNOWN_MEMBER_ID);
        return;
      }
      group = this.createGroup(groupId);
      if (!group) {
        fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        return;
      }
    }
    const maxSize = this.config.groupMaxSize;
    const known = group.has(memberId) ? group.get(memberId) : null;
    if (
      (group.size > maxSize && known && known.awaitingJoin === null) ||
      (isUnknownMember && group.size >= maxSize)
    ) {
      // An over-full group (loaded with more members than allowed now) sheds members as they rejoin.
      if (known) this.removeMemberAndUpdateGroup(group, known, 'the group is over group.max.size');
      respond(joinErrorResult('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknownMember) {
      this.doUnknownJoinGroup(group, input, respond);
    } else {
      this.doKnownJoinGroup(group, input, respond);
    }
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
    this.maybeForgetGroup(group);
    this.checkInvariants(group);
  }

  private doUnknownJoinGroup(group: GroupMetadata, input: JoinGroupInput, respond: JoinCallback): void {
    if (group.is('Dead')) {
      respond(joinErrorResult('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(input.protocolType, input.protocols)) {
      respond(joinErrorResult('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    const newMemberId = `${input.groupInstanceId ?? input.clientId}-${this.newMemberIdSuffix()}`;
    if (input.groupInstanceId !== null && group.hasStaticMember(input.groupInstanceId)) {
      this.replaceStaticMember(group, input, newMemberId, respond);
    } else if (input.requireKnownMemberId && input.groupInstanceId === null) {
      this.addPendingMember(group, newMemberId, input.sessionTimeoutMs);
      respond(joinErrorResult(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberAndRebalance(group, input, newMemberId, respond);
    }
  }

  private doKnownJoinGroup(group: GroupMetadata, input: JoinGroupInput, respond: JoinCallback): void {
    const { memberId, groupInstanceId } = input;
    const fail = (errorCode: number) => respond(joinErrorResult(memberId, errorCode));
    if (group.is('Dead')) {
      fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      return;
    }
    if (!group.supportsProtocols(input.protocolType, input.protocols)) {
      fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      return;
    }
    if (group.pendingMembers.has(memberId)) {
      // The second JoinGroup of the MEMBER_ID_REQUIRED handshake.
      this.removePendingMember(group, memberId);
      this.addMemberAndRebalance(group, input, memberId, respond);
      return;
    }
    if (group.isStaticMemberFenced(memberId, groupInstanceId)) {
      fail(ErrorCode.FENCED_INSTANCE_ID);
      return;
    }
    if (!group.has(memberId) || (groupInstanceId !== null && !group.hasStaticMember(groupInstanceId))) {
      fail(ErrorCode.UNKNOWN_MEMBER_ID);
      return;
    }
    const member = group.get(memberId);
    switch (group.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(group, member, input, respond);
        return;
      case 'CompletingRebalance':
        if (member.matches(input.protocols)) {
          // It missed the JoinGroup answer (a retry): the same answer again.
          respond(this.joinResultFor(group, member));
        } else {
          this.updateMemberAndRebalance(group, member, input, respond);
        }
        return;
      case 'Stable':
        if (group.isLeader(memberId) || !member.matches(input.protocols)) {
          // A leader's JoinGroup asks for a rebalance (its view of the topics changed, say).
          this.updateMemberAndRebalance(group, member, input, respond);
        } else {
          respond({ ...this.joinResultFor(group, member), members: [] });
        }
        return;
      case 'Empty':
      case 'Dead':
        fail(ErrorCode.UNKNOWN_MEMBER_ID);
        return;
    }
  }

  /** The JoinGroup answer of a member of the current generation (the leader gets the member list). */
  private joinResultFor(group: GroupMetadata, member: GroupMember): JoinGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderId ?? '',
      memberId: member.memberId,
      members: group.isLeader(member.memberId) ? group.currentMemberMetadata() : [],
    };
  }

  /**
   * A static member came back without its member id (a restart): it takes its old member's place and
   * assignment under a new id, and the old id is fenced (FENCED_INSTANCE_ID). In a Stable group with
   * unchanged metadata there is no rebalance: the new id is stored, then the member gets the current
   * generation, with the previous leader id so that it does not run an assignment nobody would use.
   */
  private replaceStaticMember(
    group: GroupMetadata,
    input: JoinGroupInput,
    newMemberId: string,
    respond: JoinCallback,
  ): void {
    const groupInstanceId = input.groupInstanceId!;
    const oldMemberId = group.staticMemberId(groupInstanceId)!;
    const old = group.get(oldMemberId);
    group.invokeJoinCallback(old, joinErrorResult(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    group.invokeSyncCallback(old, syncErrorResult(ErrorCode.FENCED_INSTANCE_ID));
    this.cancelHeartbeat(old);
    const previousLeaderId = group.leaderId ?? '';
    const unchanged = old.matches(input.protocols);
    const member = group.replaceStaticMember(groupInstanceId, oldMemberId, newMemberId);
    member.clientId = input.clientId;
    member.clientHost = input.clientHost;
    this.completeAndScheduleNextHeartbeat(group, member);
    this.logger.info(
      { groupId: group.groupId, groupInstanceId, oldMemberId, newMemberId, state: group.state },
      'static member rejoined with a new member id',
    );
    if (group.is('Stable') && unchanged) {
      const generationId = group.generationId;
      void this.storeGroup(group, null).then((errorCode) => {
        if (
          errorCode !== ErrorCode.NONE &&
          this.groups.get(group.groupId) === group &&
          group.has(newMemberId)
        ) {
          this.logger.warn(
            { groupId: group.groupId, groupInstanceId, errorCode },
            'could not store the new member id of a static member; reverting',
          );
          const current = group.get(newMemberId);
          if (current.awaitingJoin === null && current.awaitingSync === null) {
            this.cancelHeartbeat(current);
            const reverted = group.replaceStaticMember(groupInstanceId, newMemberId, oldMemberId);
            this.completeAndScheduleNextHeartbeat(group, reverted);
          }
          respond(joinErrorResult(newMemberId, errorCode));
        } else if (errorCode !== ErrorCode.NONE) {
          respond(joinErrorResult(newMemberId, errorCode));
        } else {
          respond({
            errorCode: ErrorCode.NONE,
            generationId,
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            leaderId: previousLeaderId,
            memberId: newMemberId,
            members: [],
          });
        }
        if (this.groups.get(group.groupId) === group) this.checkInvariants(group);
      });
      return;
    }
    // Metadata changed, or the group is between generations: the member joins the (next) round.
    this.updateMemberAndRebalance(group, member, input, respond);
  }

  private addMemberAndRebalance(
    group: GroupMetadata,
    input: JoinGroupInput,
    memberId: string,
    respond: JoinCallback,
  ): void {
    const member = new GroupMember(memberId, input.groupInstanceId, input.protocolType, {
      clientId: input.clientId,
      clientHost: input.clientHost,
      rebalanceTimeoutMs: input.rebalanceTimeoutMs,
      sessionTimeoutMs: input.sessionTimeoutMs,
      protocols: input.protocols,
    });
    if (group.joinOperation?.kind === 'initial') group.newMemberAdded = true;
    group.add(member, respond);
    this.completeAndScheduleNextHeartbeat(group, member);
    this.logger.info(
      { groupId: group.groupId, memberId, groupInstanceId: input.groupInstanceId, clientId: input.clientId },
      'member joined',
    );
    this.maybePrepareRebalance(group, `member ${memberId} joined`);
  }

  private updateMemberAndRebalance(
    group: GroupMetadata,
    member: GroupMember,
    input: JoinGroupInput,
    respond: JoinCallback,
  ): void {
    group.updateMember(member, input.protocols, input, respond);
    this.maybePrepareRebalance(group, `member ${member.memberId} rejoined`);
  }

  private addPendingMember(group: GroupMetadata, memberId: string, sessionTimeoutMs: number): void {
    const timer = this.timers.setTimeout(() => {
      if (this.groups.get(group.groupId) !== group || !group.pendingMembers.has(memberId)) return;
      group.pendingMembers.delete(memberId);
      this.logger.debug({ groupId: group.groupId, memberId }, 'pending member did not come back');
      if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
      this.maybeForgetGroup(group);
      this.checkInvariants(group);
    }, sessionTimeoutMs);
    group.pendingMembers.set(memberId, { deadlineMs: this.clock.nowMs() + sessionTimeoutMs, timer });
  }

  private removePendingMember(group: GroupMetadata, memberId: string): void {
    const pending = group.pendingMembers.get(memberId);
    if (!pending) return;
    this.timers.clearTimeout(pending.timer);
    group.pendingMembers.delete(memberId);
  }

  // ---- rebalancing ----

  private maybePrepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
  }

  private prepareRebalance(group: GroupMetadata, reason: string): void {
    // Members waiting for an assignment that will never come rejoin instead.
    if (group.is('CompletingRebalance'))
      this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.clearSyncDeadline(group);
    const wasEmpty = group.is('Empty');
    group.transitionTo('PreparingRebalance', this.wallClock.nowMs());
    this.logger.info(
      { groupId: group.groupId, generationId: group.generationId, members: group.memberCount, reason },
      'preparing to rebalance',
    );
    const initialDelayMs = this.config.groupInitialRebalanceDelayMs;
    if (wasEmpty && initialDelayMs > 0) {
      this.scheduleJoinRound(
        group,
        'initial',
        initialDelayMs,
        Math.max(group.rebalanceTimeoutMs - initialDelayMs, 0),
      );
    } else {
      this.scheduleJoinRound(group, 'regular', group.rebalanceTimeoutMs, 0);
      this.tryCompleteJoin(group);
    }
  }

  private scheduleJoinRound(
    group: GroupMetadata,
    kind: 'initial' | 'regular',
    delayMs: number,
    remainingMs: number,
  ): void {
    if (group.joinOperation !== null) this.timers.clearTimeout(group.joinOperation.timer);
    const timer = this.timers.setTimeout(() => {
      const operation = group.joinOperation;
      if (this.groups.get(group.groupId) !== group || operation === null || operation.timer !== timer) return;
      if (operation.kind === 'initial' && group.newMemberAdded && operation.remainingMs > 0) {
        const nextDelayMs = Math.min(this.config.groupInitialRebalanceDelayMs, operation.remainingMs);
        this.scheduleJoinRound(group, 'initial', nextDelayMs, operation.remainingMs - nextDelayMs);
      } else {
        this.completeJoin(group);
      }
      this.checkInvariants(group);
    }, delayMs);
    group.joinOperation = kind === 'initial' ? { kind, timer, remainingMs } : { kind, timer };
    group.newMemberAdded = false;
  }

  /** Closes a regular join round early once every member has rejoined. */
  private tryCompleteJoin(group: GroupMetadata): void {
    if (
      group.is('PreparingRebalance') &&
      group.joinOperation?.kind === 'regular' &&
      group.hasAllMembersJoined
    ) {
      this.completeJoin(group);
    }
  }

  private completeJoin(group: GroupMetadata): void {
    assert(
      group.is('PreparingRebalance') && group.joinOperation !== null,
      'completing a join round that is not open',
    );
    this.timers.clearTimeout(group.joinOperation.timer);
    group.joinOperation = null;
    for (const member of group.notYetRejoinedMembers()) {
      // Static members keep their place until their session says they are gone.
      if (member.isStatic) continue;
      this.logger.info(
        { groupId: group.groupId, memberId: member.memberId },
        'member did not rejoin in time',
      );
      this.dropMember(group, member);
    }
    if (!group.maybeElectNewJoinedLeader() && group.memberCount > 0) {
      // Only static members that have not rejoined are left: wait another round for them or their sessions.
      this.scheduleJoinRound(group, 'regular', group.rebalanceTimeoutMs, 0);
      return;
    }
    group.initNextGeneration(this.wallClock.nowMs());
    if (group.is('Empty')) {
      this.logger.info({ groupId: group.groupId, generationId: group.generationId }, 'group is now empty');
      void this.storeGroup(group, null).then((errorCode) => {
        if (errorCode !== ErrorCode.NONE) {
          this.logger.warn({ groupId: group.groupId, errorCode }, 'could not store the empty group');
        }
      });
      return;
    }
    this.logger.info(
      {
        groupId: group.groupId,
        generationId: group.generationId,
        protocolName: group.protocolName,
        members: group.memberCount,
        leaderId: group.leaderId,
      },
      'group stabilized a new generation',
    );
    for (const member of group.allMembers()) {
      group.invokeJoinCallback(member, this.joinResultFor(group, member));
      this.completeAndScheduleNextHeartbeat(group, member);
      group.pendingSyncMembers.add(member.memberId);
    }
    this.scheduleSyncDeadline(group);
  }

  /** Members that have not sent SyncGroup within the rebalance timeout are removed. */
  private scheduleSyncDeadline(group: GroupMetadata): void {
    const generationId = group.generationId;
    const timer = this.timers.setTimeout(() => {
      if (this.groups.get(group.groupId) !== group || group.syncTimer !== timer) return;
      group.syncTimer = null;
      if (group.generationId !== generationId || !(group.is('CompletingRebalance') || group.is('Stable')))
        return;
      const missing = [...group.pendingSyncMembers];
      for (const memberId of missing) {
        this.logger.info({ groupId: group.groupId, memberId }, 'member did not send SyncGroup in time');
        this.dropMember(group, group.get(memberId));
      }
      this.maybePrepareRebalance(group, 'members did not sync');
      this.checkInvariants(group);
    }, group.rebalanceTimeoutMs);
    group.syncTimer = timer;
  }

  private clearSyncDeadline(group: GroupMetadata): void {
    if (group.syncTimer !== null) this.timers.clearTimeout(group.syncTimer);
    group.syncTimer = null;
    group.pendingSyncMembers.clear();
  }

  // ---- SyncGroup ----

  syncGroup(input: SyncGroupInput): Promise<SyncGroupResult> {
    return new Promise((resolve) => this.handleSyncGroup(input, once(resolve)));
  }

  private handleSyncGroup(input: SyncGroupInput, respond: SyncCallback): void {
    const fail = (errorCode: number) => respond(syncErrorResult(errorCode));
    const status = this.validateGroupStatus(input.groupId, 'sync');
    // A coordinator still loading has lost any rebalance in progress: the member rejoins.
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
      fail(ErrorCode.REBALANCE_IN_PROGRESS);
      return;
    }
    if (status !== ErrorCode.NONE) {
      fail(status);
      return;
    }
    const group = this.groups.get(input.groupId);
    if (!group) {
      fail(ErrorCode.UNKNOWN_MEMBER_ID);
      return;
    }
    const { memberId } = input;
    if (group.is('Dead')) {
      fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      return;
    }
    if (
      (input.protocolType !== null && input.protocolType !== group.protocolType) ||
      (input.protocolName !== null && input.protocolName !== group.protocolName)
    ) {
      fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      return;
    }
    if (group.isStaticMemberFenced(memberId, input.groupInstanceId)) {
      fail(ErrorCode.FENCED_INSTANCE_ID);
      return;
    }
    if (!group.has(memberId)) {
      fail(ErrorCode.UNKNOWN_MEMBER_ID);
      return;
    }
    if (input.generationId !== group.generationId) {
      fail(ErrorCode.ILLEGAL_GENERATION);
      return;
    }
    const member = group.get(memberId);
    switch (group.state) {
      case 'Empty':
        fail(ErrorCode.UNKNOWN_MEMBER_ID);
        return;
      case 'PreparingRebalance':
        fail(ErrorCode.REBALANCE_IN_PROGRESS);
        return;
      case 'CompletingRebalance': {
        this.markSynced(group, memberId);
        const previous = member.awaitingSync;
        // A retried SyncGroup: both requests get the same answer.
        member.awaitingSync =
          previous === null
            ? respond
            : (result) => {
                previous(result);
                respond(result);
              };
        if (group.isLeader(memberId)) this.storeAssignment(group, input);
        break;
      }
      case 'Stable':
        this.markSynced(group, memberId);
        respond({
          errorCode: ErrorCode.NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: member.assignment,
        });
        this.completeAndScheduleNextHeartbeat(group, member);
        break;
    }
    this.checkInvariants(group);
  }

  private markSynced(group: GroupMetadata, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0 && group.syncTimer !== null) {
      this.timers.clearTimeout(group.syncTimer);
      group.syncTimer = null;
    }
  }

  /** The leader's assignment: stored with the group, then handed to every member, and the group is Stable. */
  private storeAssignment(group: GroupMetadata, input: SyncGroupInput): void {
    const generationId = group.generationId;
    const assignments = new Map<string, Buffer>();
    for (const { memberId, assignment } of input.assignments) {
      if (group.has(memberId)) assignments.set(memberId, assignment);
    }
    for (const member of group.allMembers()) {
      if (!assignments.has(member.memberId)) assignments.set(member.memberId, EMPTY_BYTES);
    }
    this.logger.debug({ groupId: group.groupId, generationId }, 'assignment received from the leader');
    void this.storeGroup(group, assignments).then((errorCode) => {
      // The group may have moved on while the record was written; then the answer went out already.
      if (this.groups.get(group.groupId) !== group) return;
      if (!group.is('CompletingRebalance') || group.generationId !== generationId) return;
      if (errorCode !== ErrorCode.NONE) {
        this.logger.warn(
          { groupId: group.groupId, errorCode },
          'could not store the assignment; rebalancing',
        );
        this.resetAndPropagateAssignmentError(group, errorCode);
        this.maybePrepareRebalance(group, 'the assignment could not be stored');
      } else {
        for (const member of group.allMembers())
          member.assignment = assignments.get(member.memberId) ?? EMPTY_BYTES;
        this.propagateAssignment(group, ErrorCode.NONE);
        group.transitionTo('Stable', this.wallClock.nowMs());
      }
      this.checkInvariants(group);
    });
  }

  private resetAndPropagateAssignmentError(group: GroupMetadata, errorCode: number): void {
    assert(group.is('CompletingRebalance'), `assignment error in ${group.state}`);
    for (const member of group.allMembers()) member.assignment = EMPTY_BYTES;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: GroupMetadata, errorCode: number): void {
    for (const member of group.allMembers()) {
      const answered = group.invokeSyncCallback(member, {
        errorCode,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: member.assignment,
      });
      // The session restarts from the answer: time spent waiting for the leader does not count against it.
      if (answered) this.completeAndScheduleNextHeartbeat(group, member);
    }
  }

  // ---- Heartbeat ----

  heartbeat(input: HeartbeatInput): number {
    const status = this.validateGroupStatus(input.groupId, 'heartbeat');
    // While loading nothing is known about the member: let it carry on until the group is back.
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE;
    if (status !== ErrorCode.NONE) return status;
    const group = this.groups.get(input.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(input.memberId, input.groupInstanceId))
      return ErrorCode.FENCED_INSTANCE_ID;
    if (!group.has(input.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (input.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = group.get(input.memberId);
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.completeAndScheduleNextHeartbeat(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        this.completeAndScheduleNextHeartbeat(group, member);
        return ErrorCode.NONE;
    }
  }

  private completeAndScheduleNextHeartbeat(group: GroupMetadata, member: GroupMember): void {
    member.heartbeatDeadlineMs = this.clock.nowMs() + member.sessionTimeoutMs;
    if (member.heartbeatTimer === null) this.armHeartbeatTimer(group, member, member.sessionTimeoutMs);
  }

  /** One timer per member, re-armed lazily: a heartbeat only moves the deadline. */
  private armHeartbeatTimer(group: GroupMetadata, member: GroupMember, delayMs: number): void {
    member.heartbeatTimer = this.timers.setTimeout(() => {
      member.heartbeatTimer = null;
      if (this.groups.get(group.groupId) !== group || !group.has(member.memberId)) return;
      if (group.get(member.memberId) !== member) return;
      const nowMs = this.clock.nowMs();
      // A member waiting for the join round or for the leader cannot heartbeat; those are bounded by
      // the rebalance timeout instead.
      if (member.awaitingJoin !== null || member.awaitingSync !== null) {
        member.heartbeatDeadlineMs = Math.max(member.heartbeatDeadlineMs, nowMs + member.sessionTimeoutMs);
      }
      if (nowMs < member.heartbeatDeadlineMs) {
        this.armHeartbeatTimer(group, member, member.heartbeatDeadlineMs - nowMs);
        return;
      }
      this.logger.info(
        { groupId: group.groupId, memberId: member.memberId, sessionTimeoutMs: member.sessionTimeoutMs },
        'member session expired; removing it',
      );
      this.removeMemberAndUpdateGroup(group, member, `member ${member.memberId} session expired`);
      this.checkInvariants(group);
    }, delayMs);
  }

  private cancelHeartbeat(member: GroupMember): void {
    if (member.heartbeatTimer !== null) this.timers.clearTimeout(member.heartbeatTimer);
    member.heartbeatTimer = null;
  }

  // ---- LeaveGroup and member removal ----

  async leaveGroup(input: LeaveGroupInput): Promise<LeaveGroupResult> {
    const status = this.validateGroupStatus(input.groupId, 'leave');
    if (status !== ErrorCode.NONE) return { errorCode: status, members: [] };
    const group = this.groups.get(input.groupId);
    const result = (errorCode: number) => (identity: LeaveGroupInput['members'][number]) => ({
      memberId: identity.memberId,
      groupInstanceId: identity.groupInstanceId,
      errorCode,
    });
    if (!group)
      return { errorCode: ErrorCode.NONE, members: input.members.map(result(ErrorCode.UNKNOWN_MEMBER_ID)) };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = input.members.map((identity) => {
      const { memberId, groupInstanceId } = identity;
      if (memberId !== '' && group.isStaticMemberFenced(memberId, groupInstanceId)) {
        return result(ErrorCode.FENCED_INSTANCE_ID)(identity);
      }
      if (group.pendingMembers.has(memberId)) {
        this.removePendingMember(group, memberId);
        if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
        return result(ErrorCode.NONE)(identity);
      }
      const target = group.hasStaticMember(groupInstanceId)
        ? group.staticMemberId(groupInstanceId!)!
        : group.has(memberId)
          ? memberId
          : null;
      if (target === null) return result(ErrorCode.UNKNOWN_MEMBER_ID)(identity);
      this.logger.info({ groupId: group.groupId, memberId: target, groupInstanceId }, 'member left');
      this.removeMemberAndUpdateGroup(group, group.get(target), `member ${target} left`);
      return result(ErrorCode.NONE)(identity);
    });
    this.maybeForgetGroup(group);
    this.checkInvariants(group);
    return { errorCode: ErrorCode.NONE, members };
  }

  /** Removes a member without starting anything: its waiting requests are answered UNKNOWN_MEMBER_ID. */
  private dropMember(group: GroupMetadata, member: GroupMember): void {
    group.invokeJoinCallback(member, joinErrorResult('', ErrorCode.UNKNOWN_MEMBER_ID));
    group.invokeSyncCallback(member, syncErrorResult(ErrorCode.UNKNOWN_MEMBER_ID));
    this.cancelHeartbeat(member);
    group.remove(member.memberId);
  }

  private removeMemberAndUpdateGroup(group: GroupMetadata, member: GroupMember, reason: string): void {
    this.dropMember(group, member);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, reason);
        break;
      case 'PreparingRebalance':
        this.tryCompleteJoin(group);
        break;
      default:
        break;
    }
  }

  // ---- offsets ----

  async commitOffsets(input: OffsetCommitInput): Promise<PartitionResult[]> {
    const all = (errorCode: number) =>
      input.offsets.map(({ topic, partition }) => ({ topic, partition, errorCode }));
    const status = this.validateGroupStatus(input.groupId, 'commit');
    if (status !== ErrorCode.NONE) return all(status);
    let group = this.groups.get(input.groupId);
    if (!group) {
      // A consumer that manages its own partitions and only stores offsets here.
      if (input.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = this.createGroup(input.groupId);
      if (!group) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    const { memberId, generationId } = input;
    if (group.is('Dead')) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (group.isStaticMemberFenced(memberId, input.groupInstanceId)) return all(ErrorCode.FENCED_INSTANCE_ID);
    if (!(generationId < 0 && group.is('Empty'))) {
      if (!group.has(memberId)) return all(ErrorCode.UNKNOWN_MEMBER_ID);
      if (generationId !== group.generationId) return all(ErrorCode.ILLEGAL_GENERATION);
      // The member has its generation but not yet its assignment: it should not be committing.
      if (group.is('CompletingRebalance')) return all(ErrorCode.REBALANCE_IN_PROGRESS);
      // Stable, or PreparingRebalance (a member commits what it has before rejoining).
      this.completeAndScheduleNextHeartbeat(group, group.get(memberId));
    }
    return this.storeOffsets(group, input);
  }

  private async storeOffsets(group: GroupMetadata, input: OffsetCommitInput): Promise<PartitionResult[]> {
    const nowWallMs = this.wallClock.nowMs();
    const results: { topic: string; partition: number; errorCode: number }[] = [];
    const accepted: { result: (typeof results)[number]; key: string; value: OffsetCommitValue }[] = [];
    const records: GroupRecord[] = [];
    const newKeys = new Set<string>();
    for (const offset of input.offsets) {
      const result: { topic: string; partition: number; errorCode: number } = {
        topic: offset.topic,
        partition: offset.partition,
        errorCode: ErrorCode.NONE,
      };
      results.push(result);
      const metadata = offset.metadata ?? '';
      if (Buffer.byteLength(metadata) > OFFSET_METADATA_BYTES_MAX) {
        result.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        continue;
      }
      const key = offsetKey(offset.topic, offset.partition);
      if (!group.offsets.has(key) && !group.pendingOffsetCommits.has(key)) {
        newKeys.add(key);
        if (group.offsets.size + newKeys.size > OFFSETS_PER_GROUP_MAX) {
          result.errorCode = ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
          continue;
        }
      }
      const value: OffsetCommitValue = {
        offset: offset.offset,
        leaderEpoch: offset.leaderEpoch,
        metadata,
        commitTimestampMs: nowWallMs,
        expireTimestampMs: input.retentionTimeMs >= 0 ? nowWallMs + input.retentionTimeMs : null,
      };
      accepted.push({ result, key, value });
      records.push({
        type: 'offset-commit',
        groupId: group.groupId,
        topic: offset.topic,
        partition: offset.partition,
        value,
      });
    }
    if (records.length === 0) return results;
    const sequence = ++group.commitSequence;
    for (const { key } of accepted)
      group.pendingOffsetCommits.set(key, (group.pendingOffsetCommits.get(key) ?? 0) + 1);
    let errorCode: number = ErrorCode.NONE;
    try {
      await this.storage.append(this.partitionFor(group.groupId), records);
    } catch (error) {
      errorCode = this.storageErrorOf(error, 'offsets');
    }
    for (const { result, key, value } of accepted) {
      const pending = (group.pendingOffsetCommits.get(key) ?? 0) - 1;
      if (pending > 0) group.pendingOffsetCommits.set(key, pending);
      else group.pendingOffsetCommits.delete(key);
      result.errorCode = errorCode;
      if (errorCode !== ErrorCode.NONE) continue;
      const existing = group.offsets.get(key);
      if (existing === undefined || existing.sequence < sequence) {
        const committed: CommittedOffset = {
          topic: result.topic,
          partition: result.partition,
          value,
          sequence,
        };
        group.offsets.set(key, committed);
      }
    }
    if (this.groups.get(group.groupId) === group) {
      this.maybeForgetGroup(group);
      this.checkInvariants(group);
    }
    return results;
  }

  /** Committed offsets of a group: those asked for (-1 where there is none), or all with null. */
  fetchOffsets(groupId: string, partitions: readonly TopicPartition[] | null): OffsetFetchResult {
    const status = this.validateGroupStatus(groupId, 'fetch');
    if (status !== ErrorCode.NONE) return { errorCode: status, offsets: [] };
    const group = this.groups.get(groupId);
    const fetched = (committed: CommittedOffset): FetchedOffset => ({
      topic: committed.topic,
      partition: committed.partition,
      offset: committed.value.offset,
      leaderEpoch: committed.value.leaderEpoch,
      metadata: committed.value.metadata,
      errorCode: ErrorCode.NONE,
    });
    if (partitions === null) {
      return { errorCode: ErrorCode.NONE, offsets: group ? [...group.offsets.values()].map(fetched) : [] };
    }
    return {
      errorCode: ErrorCode.NONE,
      offsets: partitions.map(({ topic, partition }) => {
        const committed = group?.offsets.get(offsetKey(topic, partition));
        return committed
          ? fetched(committed)
          : { topic, partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
      }),
    };
  }

  // ---- admin ----

  listGroups(): ListGroupsResult {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const groups = [...this.groups.values()].map((group) => group.overview());
    return {
      errorCode: this.isLoading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE,
      groups,
    };
  }

  describeGroup(groupId: string): DescribeGroupResult {
    const status = this.validateGroupStatus(groupId, 'describe');
    const empty = { groupId, protocolType: '', protocolData: '', members: [] };
    if (status !== ErrorCode.NONE) return { ...empty, errorCode: status, state: '' };
    const group = this.groups.get(groupId);
    if (!group) return { ...empty, errorCode: ErrorCode.NONE, state: 'Dead' };
    return { ...group.summary(), errorCode: ErrorCode.NONE };
  }

  /** Deletes Empty groups with their offsets (tombstones); a group with members is NON_EMPTY_GROUP. */
  async deleteGroups(groupIds: readonly string[]): Promise<DeleteGroupResult[]> {
    const results: { groupId: string; errorCode: number }[] = [];
    const byPartition = new Map<number, GroupRecord[]>();
    const deleted: { groupId: string; errorCode: number }[] = [];
    for (const groupId of new Set(groupIds)) {
      const result = { groupId, errorCode: this.validateGroupStatus(groupId, 'delete') };
      results.push(result);
      if (result.errorCode !== ErrorCode.NONE) continue;
      const group = this.groups.get(groupId);
      if (!group || group.is('Dead')) {
        result.errorCode = ErrorCode.GROUP_ID_NOT_FOUND;
        continue;
      }
      if (!group.is('Empty')) {
        result.errorCode = ErrorCode.NON_EMPTY_GROUP;
        continue;
      }
      const keys = new Set([...group.offsets.keys(), ...group.pendingOffsetCommits.keys()]);
      const records = partitionRecords(byPartition, this.partitionFor(groupId));
      for (const key of keys) records.push(offsetTombstone(groupId, key));
      records.push({ type: 'group-metadata', groupId, value: null });
      group.offsets.clear();
      this.markDead(group);
      deleted.push(result);
      this.logger.info({ groupId, offsets: keys.size }, 'group deleted');
    }
    const failures = await this.appendAll(byPartition);
    for (const result of deleted) {
      const errorCode = failures.get(this.partitionFor(result.groupId));
      if (errorCode !== undefined) result.errorCode = errorCode;
    }
    return results;
  }

  /**
   * Deletes committed offsets of a group. An Empty group loses any; a consumer group with members keeps
   * those of topics it subscribes to (GROUP_SUBSCRIBED_TO_TOPIC); a group of another type with members
   * refuses (NON_EMPTY_GROUP). An Empty group left without offsets is removed.
   */
  async deleteOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<OffsetDeleteResult> {
    const status = this.validateGroupStatus(groupId, 'offset-delete');
    if (status !== ErrorCode.NONE) return { errorCode: status, partitions: [] };
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: [] };
    let subscribed: ReadonlySet<string> = new Set();
    if (!group.is('Empty')) {
      const topics = group.subscribedTopics();
      if (topics === null) return { errorCode: ErrorCode.NON_EMPTY_GROUP, partitions: [] };
      subscribed = topics;
    }
    const records: GroupRecord[] = [];
    const results = partitions.map(({ topic, partition }) => {
      if (subscribed.has(topic)) return { topic, partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
      const key = offsetKey(topic, partition);
      if (group.offsets.delete(key)) records.push(offsetTombstone(groupId, key));
      return { topic, partition, errorCode: ErrorCode.NONE };
    });
    if (group.is('Empty') && !group.hasOffsets && group.pendingMembers.size === 0) {
      records.push({ type: 'group-metadata', groupId, value: null });
      this.markDead(group);
    }
    if (records.length > 0) {
      const failures = await this.appendAll(new Map([[this.partitionFor(groupId), records]]));
      const errorCode = failures.get(this.partitionFor(groupId));
      if (errorCode !== undefined) return { errorCode, partitions: [] };
    }
    if (this.groups.get(groupId) === group) this.checkInvariants(group);
    return { errorCode: ErrorCode.NONE, partitions: results };
  }

  // ---- offset expiry ----

  private scheduleRetentionCheck(): void {
    this.retentionTimer = this.timers.setTimeout(() => {
      this.retentionTimer = null;
      if (this.stopped) return;
      void this.expireOffsets().finally(() => {
        if (!this.stopped) this.scheduleRetentionCheck();
      });
    }, this.config.offsetsRetentionCheckIntervalMs);
  }

  /**
   * Removes expired offsets (Kafka's rule), writing tombstones, and removes Empty groups left without
   * offsets. An offset with an explicit expiry time expires then. Otherwise, after `offsets.retention.ms`:
   * in an Empty group, counted from when it became Empty (or from the commit if that is not known); in a
   * Stable consumer group, counted from the commit, only for topics no member subscribes to; in a group that
   * only stores offsets, counted from the commit. Returns how many offsets expired.
   */
  async expireOffsets(): Promise<number> {
    if (!this.active) return 0;
    const nowWallMs = this.wallClock.nowMs();
    const retentionMs = this.config.offsetsRetentionMs;
    const byPartition = new Map<number, GroupRecord[]>();
    let expired = 0;
    for (const group of [...this.groups.values()]) {
      let baseOf: ((committed: CommittedOffset) => number) | null = null;
      let keep: ReadonlySet<string> = new Set();
      if (group.protocolType === null) {
        baseOf = (committed) => committed.value.commitTimestampMs;
      } else if (group.is('Empty')) {
        const since = group.currentStateTimestampMs;
        baseOf = (committed) => since ?? committed.value.commitTimestampMs;
      } else if (group.is('Stable')) {
        const subscribed = group.subscribedTopics();
        if (subscribed !== null) {
          keep = subscribed;
          baseOf = (committed) => committed.value.commitTimestampMs;
        }
      }
      const records = partitionRecords(byPartition, this.partitionFor(group.groupId));
      if (baseOf !== null) {
        for (const [key, committed] of [...group.offsets]) {
          if (keep.has(committed.topic) || group.pendingOffsetCommits.has(key)) continue;
          const expireAtMs = committed.value.expireTimestampMs ?? baseOf(committed) + retentionMs;
          if (nowWallMs < expireAtMs) continue;
          group.offsets.delete(key);
          records.push(offsetTombstone(group.groupId, key));
          expired++;
        }
      }
      if (group.is('Empty') && !group.hasOffsets && group.pendingMembers.size === 0) {
        records.push({ type: 'group-metadata', groupId: group.groupId, value: null });
        this.markDead(group);
        this.logger.info({ groupId: group.groupId }, 'empty group without offsets removed');
      } else {
        this.checkInvariants(group);
      }
    }
    for (const [partition, records] of byPartition) if (records.length === 0) byPartition.delete(partition);
    await this.appendAll(byPartition);
    if (expired > 0) this.logger.info({ offsets: expired }, 'expired offsets removed');
    return expired;
  }

  // ---- loading ----

  private async loadPartition(partition: number): Promise<void> {
    const started = this.clock.nowMs();
    const metadata = new Map<string, GroupMetadataValue | null>();
    const offsets = new Map<
      string,
      Map<string, { topic: string; partition: number; value: OffsetCommitValue }>
    >();
    let recordCount = 0;
    try {
      await this.storage.load(partition, (record) => {
        recordCount++;
        if (record.type === 'group-metadata') {
          metadata.set(record.groupId, record.value);
          return;
        }
        let groupOffsets = offsets.get(record.groupId);
        if (!groupOffsets) {
          groupOffsets = new Map();
          offsets.set(record.groupId, groupOffsets);
        }
        const key = offsetKey(record.topic, record.partition);
        if (record.value === null) groupOffsets.delete(key);
        else groupOffsets.set(key, { topic: record.topic, partition: record.partition, value: record.value });
      });
    } catch (error) {
      this.partitionStates[partition] = 'failed';
      this.logger.error({ err: error, partition }, 'could not load a partition of the offsets topic');
      return;
    }
    if (this.stopped) return;
    let loaded = 0;
    for (const groupId of new Set([...metadata.keys(), ...offsets.keys()])) {
      const value = metadata.get(groupId) ?? null;
      const groupOffsets = offsets.get(groupId);
      if (value === null && (groupOffsets === undefined || groupOffsets.size === 0)) continue;
      if (this.partitionFor(groupId) !== partition) {
        this.logger.warn(
          { groupId, partition },
          'a group stored in the wrong partition of the offsets topic; skipped',
        );
        continue;
      }
      const group = value
        ? GroupMetadata.fromStored(groupId, value)
        : new GroupMetadata(groupId, 'Empty', null);
      for (const [key, committed] of groupOffsets ?? [])
        group.offsets.set(key, { ...committed, sequence: 0 });
      this.groups.set(groupId, group);
      loaded++;
      for (const member of group.allMembers()) this.completeAndScheduleNextHeartbeat(group, member);
      if (group.size > this.config.groupMaxSize) {
        this.prepareRebalance(group, `loaded with ${group.size} members, over group.max.size`);
      }
      this.checkInvariants(group);
    }
    this.partitionStates[partition] = 'loaded';
    this.logger.debug(
      { partition, records: recordCount, groups: loaded, ms: this.clock.nowMs() - started },
      'offsets topic partition loaded',
    );
  }

  // ---- helpers ----

  private validateGroupStatus(groupId: string, kind: RequestKind): number {
    if (groupId === '' && !EMPTY_GROUP_ID_ALLOWED.has(kind)) return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const state = this.partitionStates[this.partitionFor(groupId)];
    if (state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (state === 'failed') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return ErrorCode.NONE;
  }

  private createGroup(groupId: string): GroupMetadata | undefined {
    if (this.groups.size >= GROUPS_MAX) {
      this.logger.warn({ groupId, groups: this.groups.size }, 'too many groups; refusing a new one');
      return undefined;
    }
    const group = new GroupMetadata(groupId, 'Empty', this.wallClock.nowMs());
    this.groups.set(groupId, group);
    return group;
  }

  /** Forgets a group that a refused request created and that never stored anything. */
  private maybeForgetGroup(group: GroupMetadata): void {
    if (
      this.groups.get(group.groupId) === group &&
      group.is('Empty') &&
      group.generationId === 0 &&
      group.size === 0 &&
      !group.hasOffsets
    ) {
      this.groups.delete(group.groupId);
    }
  }

  /** An Empty group dies: its timers stop and it leaves the coordinator. */
  private markDead(group: GroupMetadata): void {
    for (const pending of group.pendingMembers.values()) this.timers.clearTimeout(pending.timer);
    group.pendingMembers.clear();
    group.transitionTo('Dead', this.wallClock.nowMs());
    group.checkInvariants();
    this.groups.delete(group.groupId);
  }

  private async storeGroup(
    group: GroupMetadata,
    assignments: ReadonlyMap<string, Buffer> | null,
  ): Promise<number> {
    const record: GroupRecord = {
      type: 'group-metadata',
      groupId: group.groupId,
      value: group.storedValue(assignments ?? undefined),
    };
    try {
      await this.storage.append(this.partitionFor(group.groupId), [record]);
      return ErrorCode.NONE;
    } catch (error) {
      return this.storageErrorOf(error, 'group');
    }
  }

  /** Appends records per partition in chunks that fit one batch; returns the error code of partitions that failed. */
  private async appendAll(byPartition: ReadonlyMap<number, GroupRecord[]>): Promise<Map<number, number>> {
    const failures = new Map<number, number>();
    await Promise.all(
      [...byPartition].map(async ([partition, records]) => {
        for (const chunk of chunkRecords(records)) {
          try {
            await this.storage.append(partition, chunk);
          } catch (error) {
            failures.set(partition, this.storageErrorOf(error, 'tombstones'));
            return;
          }
        }
      }),
    );
    return failures;
  }

  /** Kafka's mapping of a failed write to the offsets topic to what the client is told. */
  private storageErrorOf(error: unknown, what: 'offsets' | 'group' | 'tombstones'): number {
    if (KafkaError.isInstance(error)) {
      this.logger.warn({ err: error, what }, 'a write to the offsets topic failed');
      switch (error.code) {
        case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
        case ErrorCode.NOT_ENOUGH_REPLICAS:
        case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
        case ErrorCode.REQUEST_TIMED_OUT:
          return ErrorCode.COORDINATOR_NOT_AVAILABLE;
        case ErrorCode.NOT_LEADER_OR_FOLLOWER:
        case ErrorCode.KAFKA_STORAGE_ERROR:
          return ErrorCode.NOT_COORDINATOR;
        case ErrorCode.MESSAGE_TOO_LARGE:
        case ErrorCode.RECORD_LIST_TOO_LARGE:
        case ErrorCode.INVALID_FETCH_SIZE:
          return what === 'offsets' ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : ErrorCode.UNKNOWN_SERVER_ERROR;
        default:
          return ErrorCode.UNKNOWN_SERVER_ERROR;
      }
    }
    this.logger.error({ err: error, what }, 'a write to the offsets topic failed unexpectedly');
    return ErrorCode.UNKNOWN_SERVER_ERROR;
  }

  private checkInvariants(group: GroupMetadata): void {
    if (this.stopped) return;
    group.checkInvariants();
    const stored = this.groups.get(group.groupId);
    if (stored === group) assert(!group.is('Dead'), `a Dead group ${group.groupId} is still held`);
  }
}

/** Calls `callback` the first time only: a waiting request is answered once. */
function once<T>(callback: (value: T) => void): (value: T) => void {
  let called = false;
  return (value) => {
    if (called) return;
    called = true;
    callback(value);
  };
}

function partitionRecords(byPartition: Map<number, GroupRecord[]>, partition: number): GroupRecord[] {
  let records = byPartition.get(partition);
  if (!records) {
    records = [];
    byPartition.set(partition, records);
  }
  return records;
}

function offsetTombstone(groupId: string, key: string): GroupRecord {
  const separator = key.lastIndexOf('\u0000');
  return {
    type: 'offset-commit',
    groupId,
    topic: key.slice(0, separator),
    partition: Number(key.slice(separator + 1)),
    value: null,
  };
}

/** Splits tombstones into appends of at most RECORDS_PER_APPEND_MAX records and about APPEND_BYTES_TARGET. */
function chunkRecords(records: readonly GroupRecord[]): GroupRecord[][] {
  const chunks: GroupRecord[][] = [];
  let current: GroupRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size =
      64 + 3 * (record.groupId.length + (record.type === 'offset-commit' ? record.topic.length : 0));
    if (
      current.length > 0 &&
      (current.length >= RECORDS_PER_APPEND_MAX || bytes + size > APPEND_BYTES_TARGET)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
