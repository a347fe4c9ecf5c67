import {
  backoffMs,
  type Clock,
  COORDINATOR_MOVED_ERROR_CODES,
  ConnectionError,
  INT32_MAX,
  kafkaErrorAt,
  ProtocolError,
  type RandomSource,
  RequestTimeoutError,
  sleep,
  type TimerHandle,
} from '@sluice/network';
import {
  Apis,
  ErrorCode,
  type JoinGroupResponse,
  type JoinGroupResponseMember,
  KafkaError,
  UnsupportedVersionError,
} from '@sluice/protocol';
import type { Logger } from 'pino';
import type { GroupMember, PartitionAssignor, RebalanceProtocol } from './assignor.js';
import { rebalanceProtocolOf } from './assignor-registry.js';
import type { ResolvedConsumerOptions } from './consumer-options.js';
import {
  ASSIGNMENT_VERSION_MAX,
  type Assignment,
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type Subscription,
  type TopicPartitions,
} from './consumer-protocol.js';
import type { CoordinatorChannel } from './coordinator-channel.js';
import type { CommitIdentity } from './group-offsets.js';
import { Limits } from './limits.js';
import { assertTransition, type MembershipState } from './membership-state.js';
import {
  flattenTopicPartitions,
  groupByTopic,
  partitionKey,
  type TopicPartition,
} from './topic-partition.js';

/** Why a member gives partitions up: `revoked` in a rebalance (it may commit first), or `lost`. */
export type ReleaseKind = 'revoked' | 'lost';

/** What the membership needs from the consumer it serves. */
export interface MembershipHost {
  /** The topics this member subscribes to now (a pattern's matches, plus retry topics). */
  subscribedTopics(): readonly string[];
  /** The partitions this member holds now. */
  owned(): TopicPartition[];
  /**
   * Gives partitions up. `revoked`: the member still belongs to its generation, so it may commit their
   * offsets first; `lost`: another member may own them already, nothing is committed. Resolves once they
   * are gone (the rebalance listener has run).
   */
  release(partitions: readonly TopicPartition[], kind: ReleaseKind, signal: AbortSignal): Promise<void>;
  /** Takes new partitions: the listener runs, then positions come from committed offsets. */
  acquire(partitions: readonly TopicPartition[], signal: AbortSignal): Promise<void>;
  /** Partition counts of these topics from fresh metadata (topics the cluster does not know are left out). */
  partitionCounts(topics: readonly string[], signal: AbortSignal): Promise<Map<string, number>>;
  /** How long ago the application last asked for records; 0 while it is waiting for some. */
  pollIdleMs(): number;
  /** An error the application must see: the membership stopped. */
  fail(error: Error): void;
}

export interface GroupMembershipOptions {
  readonly groupId: string;
  readonly groupInstanceId: string | null;
  readonly options: ResolvedConsumerOptions;
  /** Offered in JoinGroup, most preferred first. */
  readonly assignors: readonly PartitionAssignor[];
  readonly channel: CoordinatorChannel;
  readonly host: MembershipHost;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/** The generation this member belongs to. */
export interface GroupGeneration {
  readonly generationId: number;
  readonly memberId: string;
  readonly protocolName: string;
  readonly leader: boolean;
}

/** What the application may read about its membership. */
export interface GroupMetadata {
  readonly groupId: string;
  /** '' before the first join (and after leaving). */
  readonly memberId: string;
  /** -1 while the member belongs to no generation. */
  readonly generationId: number;
  readonly groupInstanceId: string | null;
  /** The assignor the group chose, or null. */
  readonly protocolName: string | null;
  readonly state: MembershipState['kind'];
}

/** Answers after which JoinGroup or SyncGroup is sent again at once. */
type StepOutcome = 'stable' | 'retry-now' | 'backoff' | 'stopped' | 'failed';

const NEVER_ABORTED = new AbortController().signal;

/**
 * One consumer's membership in its group (Kafka's classic group protocol, client side):
 *
 * - Joining: JoinGroup with one protocol per assignor offered, each carrying this member's subscription
 *   (v2: topics, owned partitions, generation). A new dynamic member first gets MEMBER_ID_REQUIRED with
 *   its id and joins again with it. The leader (the member the coordinator names) runs the chosen assignor
 *   over every member's subscription and fresh partition counts, and sends the result in SyncGroup; every
 *   member gets its part in the SyncGroup answer.
 * - Eager protocol: before joining, all partitions are given up (revoked: offsets committed, listener
 *   called). Cooperative: partitions are kept while joining; after SyncGroup, those the assignment leaves
 *   out are given up and the member joins again at once, so that a second round hands them on.
 * - Heartbeats run on a timer of their own, every heartbeat.interval.ms, whatever the application is doing:
 *   REBALANCE_IN_PROGRESS asks for a rejoin; ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID mean the generation is
 *   over (its partitions are lost, not revoked: another member may hold them).
 * - max.poll.interval.ms: when the application has not asked for records for that long, the member leaves
 *   the group (its partitions are lost) and joins again when the application asks for records.
 * - Static membership (group.instance.id): the member never sends LeaveGroup, so that a restart within
 *   session.timeout.ms gets its partitions back without a rebalance.
 *
 * Retriable failures (connections, a coordinator that moved or is loading) are retried with backoff;
 * errors no retry can cure (INCONSISTENT_GROUP_PROTOCOL, GROUP_AUTHORIZATION_FAILED, FENCED_INSTANCE_ID,
 * ...) stop the membership and reach the application through `host.fail`.
 */
export class GroupMembership {
  readonly rebalanceProtocol: RebalanceProtocol;
  private readonly config: GroupMembershipOptions;
  private readonly options: ResolvedConsumerOptions;
  private readonly host: MembershipHost;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private stateValue: MembershipState = { kind: 'idle' };
  /** Given by the coordinator; kept across generations until the coordinator forgets it. */
  private memberId = '';
  /** The generation this member belongs to; null when it has none (never joined, or it was lost). */
  private generation: GroupGeneration | null = null;
  /** Why a rejoin is needed, or null when none is. */
  private rejoinReason: string | null = null;
  /** The application subscribed (until unsubscribe or close). */
  private wanted = false;
  /** Wanted, and not out of the group after a poll timeout. */
  private active = false;
  /** Aborted to stop the current drive loop (leave, close, poll timeout). */
  private activation = new AbortController();
  private driving: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private heartbeatTimer: TimerHandle | null = null;
  private lastHeartbeatOkMs = 0;
  /** The leader's view when it assigned: topics of every member and their partition counts. */
  private leaderView: { topics: readonly string[]; counts: ReadonlyMap<string, number> } | null = null;
  /** Completed rebalances (for tests and metrics). */
  private rebalanceCount = 0;
  /** The leave in progress (unsubscribe, close), if any. */
  private leaving: Promise<void> | null = null;

  constructor(config: GroupMembershipOptions) {
    if (config.assignors.length === 0)
      throw new RangeError('a group member must offer at least one assignor');
    this.config = config;
    this.options = config.options;
    this.host = config.host;
    this.clock = config.clock;
    this.logger = config.logger.child({ component: 'group' });
    this.rebalanceProtocol = rebalanceProtocolOf(config.assignors);
  }

  get state(): MembershipState {
    return this.stateValue;
  }

  get rebalances(): number {
    return this.rebalanceCount;
  }

  metadata(): GroupMetadata {
    return {
      groupId: this.config.groupId,
      memberId: this.memberId,
      generationId: this.generation?.generationId ?? -1,
      groupInstanceId: this.config.groupInstanceId,
      protocolName: this.generation?.protocolName ?? null,
      state: this.stateValue.kind,
    };
  }

  /** Who commits offsets now: this member's generation, or null when it belongs to none. */
  commitIdentity(): CommitIdentity | null {
    if (this.generation === null) return null;
    return {
      generationId: this.generation.generationId,
      memberId: this.generation.memberId,
      groupInstanceId: this.config.groupInstanceId,
    };
  }

  /** Starts taking part in the group (the application subscribed); nothing more when it already does. */
  start(): void {
    if (this.stateValue.kind === 'closed' || (this.wanted && this.active)) return;
    if (this.leaving !== null) {
      // Subscribed again while leaving: join once the leave is over.
      const leaving = this.leaving;
      void leaving.then(() => this.start());
      return;
    }
    if (this.stateValue.kind === 'failed') this.moveTo({ kind: 'idle' });
    this.wanted = true;
    this.activate('subscribed');
  }

  /** The subscription changed (new topics, or a pattern matched others): the group must rebalance. */
  subscriptionChanged(): void {
    if (this.active) this.requestRejoin('the subscription changed');
  }

  /** The application asked for records: a member that left after a poll timeout joins again. */
  notePoll(): void {
    if (this.wanted && !this.active && this.stateValue.kind === 'idle') {
      this.activate('the application asks for records again');
    }
  }

  /**
   * The leader watches the partition counts it assigned from: when a topic of any member grows (or appears),
   * the group rebalances so that the new partitions get an owner.
   */
  metadataChanged(partitionCount: (topic: string) => number | undefined): void {
    const view = this.leaderView;
    if (view === null || this.stateValue.kind !== 'stable' || this.generation?.leader !== true) return;
    for (const topic of view.topics) {
      if (partitionCount(topic) !== view.counts.get(topic)) {
        this.requestRejoin(`the partitions of ${topic} changed`);
        return;
      }
    }
  }

  /** Asks for a rejoin at the next opportunity. */
  requestRejoin(reason: string): void {
    if (this.rejoinReason === null) {
      this.rejoinReason = reason;
      this.logger.debug({ reason }, 'rejoin requested');
    }
    this.wake();
  }

  /**
   * Leaves the group (unsubscribe): gives up every partition (revoked while the generation holds, so their
   * offsets may be committed), then sends LeaveGroup (dynamic members only).
   */
  async leave(reason: string): Promise<void> {
    this.wanted = false;
    this.active = false;
    if (this.leaving === null) {
      this.leaving = this.leaveNow(reason).finally(() => {
        this.leaving = null;
      });
    }
    await this.leaving;
  }

  private async leaveNow(reason: string): Promise<void> {
    await this.halt();
    const owned = this.host.owned();
    if (owned.length > 0) {
      await this.host.release(owned, this.generation !== null ? 'revoked' : 'lost', NEVER_ABORTED);
    }
    await this.sendLeaveGroup(reason);
    const kind = this.stateValue.kind;
    if (kind !== 'idle' && kind !== 'failed' && kind !== 'closed') this.moveTo({ kind: 'idle' });
  }

  async close(): Promise<void> {
    if (this.stateValue.kind === 'closed') return;
    await this.leave('the consumer is closing');
    this.moveTo({ kind: 'closed' });
    await this.config.channel.close();
  }

  private activate(reason: string): void {
    this.active = true;
    this.requestRejoin(reason);
    if (this.driving !== null && this.activation.signal.aborted) {
      // The last drive loop is stopping: start the next one once it has.
      void this.driving.then(() => {
        if (this.active && this.driving === null) this.activate(reason);
      });
      return;
    }
    if (this.driving === null) {
      this.activation = new AbortController();
      const signal = this.activation.signal;
      this.driving = this.drive(signal)
        .catch((error: unknown) => {
          this.logger.error({ err: error }, 'group membership stopped by an unexpected error');
          this.fail(error as Error);
        })
        .finally(() => {
          this.driving = null;
        });
    }
  }

  /** Stops the drive loop and waits for it to end. */
  private async halt(): Promise<void> {
    if (this.stateValue.kind === 'joining' || this.stateValue.kind === 'syncing') {
      // The coordinator may hold a JoinGroup or SyncGroup for long: drop its connection rather than make
      // the LeaveGroup that follows wait behind it.
      this.config.channel.markUnknown('leaving during a rebalance');
    }
    this.activation.abort();
    this.wake();
    this.stopHeartbeats();
    await this.driving;
  }

  private moveTo(next: MembershipState): void {
    assertTransition(this.stateValue.kind, next.kind);
    this.stateValue = next;
  }

  private wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = null;
    wakeUp?.();
  }

  private waitForWake(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        if (this.wakeUp === done) this.wakeUp = null;
        resolve();
      };
      if (signal.aborted) {
        resolve();
        return;
      }
      this.wakeUp = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Joins and rejoins while the member is active: one rebalance at a time, with backoff after failures. */
  private async drive(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted && this.active) {
      const kind = this.stateValue.kind;
      if (kind === 'failed' || kind === 'closed') return;
      if (kind === 'stable' && this.rejoinReason === null) {
        await this.waitForWake(signal);
        continue;
      }
      const outcome = await this.rebalance(signal);
      if (outcome === 'stable') {
        failures = 0;
      } else if (outcome === 'backoff') {
        const delayMs = backoffMs(
          failures++,
          this.options.retryBackoffMs,
          this.options.retryBackoffMaxMs,
          this.config.random,
        );
        await sleep(this.clock, delayMs, signal).catch(() => undefined);
      } else if (outcome === 'failed' || outcome === 'stopped') {
        return;
      }
    }
  }

  /** One JoinGroup and SyncGroup round. */
  private async rebalance(signal: AbortSignal): Promise<StepOutcome> {
    const reason = this.rejoinReason ?? 'joining';
    this.rejoinReason = null;
    await this.prepareJoin(signal);
    if (signal.aborted || !this.active) return 'stopped';
    this.moveTo({ kind: 'joining' });
    this.stopHeartbeats();
    let joined: JoinGroupResponse;
    try {
      joined = await this.sendJoinGroup(reason, signal);
    } catch (error) {
      return this.requestFailed(error, 'JoinGroup', signal);
    }
    const joinOutcome = this.checkJoin(joined);
    if (joinOutcome !== null) return joinOutcome;
    const generation = this.generation!;
    this.moveTo({
      kind: 'syncing',
      generationId: generation.generationId,
      protocolName: generation.protocolName,
      leader: generation.leader,
    });
    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (generation.leader) {
      try {
        assignments = await this.computeAssignments(joined.members, generation.protocolName, signal);
      } catch (error) {
        if (signal.aborted) return 'stopped';
        if (isFatal(error)) return this.fail(error as Error);
        this.logger.warn({ err: error }, 'the leader could not compute the assignment; rejoining');
        this.rejoinReason ??= 'the leader could not compute the assignment';
        return 'backoff';
      }
    }
    let assignment: Assignment;
    try {
      const synced = await this.config.channel.request(
        Apis.SyncGroup,
        {
          groupId: this.config.groupId,
          generationId: generation.generationId,
          memberId: generation.memberId,
          groupInstanceId: this.config.groupInstanceId,
          protocolType: CONSUMER_PROTOCOL_TYPE,
          protocolName: generation.protocolName,
          assignments,
        },
        { timeoutMs: this.rebalanceRequestTimeoutMs(), signal },
      );
      const syncOutcome = this.checkSync(synced.errorCode);
      if (syncOutcome !== null) return syncOutcome;
      assignment = decodeAssignment(synced.assignment);
    } catch (error) {
      return this.requestFailed(error, 'SyncGroup', signal);
    }
    if (this.generation !== generation || signal.aborted) return 'stopped';
    this.moveTo({
      kind: 'stable',
      generationId: generation.generationId,
      protocolName: generation.protocolName,
    });
    this.rebalanceCount++;
    this.startHeartbeats();
    this.logger.info(
      {
        generationId: generation.generationId,
        memberId: generation.memberId,
        leader: generation.leader,
        protocol: generation.protocolName,
        assignment: assignment.partitions,
      },
      'joined the group',
    );
    await this.applyAssignment(assignment, signal);
    return 'stable';
  }

  /**
   * Before JoinGroup: without a generation, whatever is held is lost; eager, everything is revoked;
   * cooperative, only partitions of topics no longer subscribed are.
   */
  private async prepareJoin(signal: AbortSignal): Promise<void> {
    const owned = this.host.owned();
    if (owned.length === 0) return;
    if (this.generation === null) {
      await this.host.release(owned, 'lost', signal);
    } else if (this.rebalanceProtocol === 'eager') {
      await this.host.release(owned, 'revoked', signal);
    } else {
      const subscribed = new Set(this.host.subscribedTopics());
      const dropped = owned.filter((partition) => !subscribed.has(partition.topic));
      if (dropped.length > 0) await this.host.release(dropped, 'revoked', signal);
    }
  }

  private sendJoinGroup(reason: string, signal: AbortSignal): Promise<JoinGroupResponse> {
    const topics = [...this.host.subscribedTopics()];
    const owned = groupByTopic(this.host.owned());
    const generationId = this.generation?.generationId ?? -1;
    this.logger.debug({ reason, memberId: this.memberId, topics }, 'joining');
    return this.config.channel.request(
      Apis.JoinGroup,
      (connection) => {
        const version = connection.versions.versionOf(Apis.JoinGroup) ?? 0;
        if (this.config.groupInstanceId !== null && version < 5) {
          throw new UnsupportedVersionError(
            `groups/${this.config.groupId}: static membership needs JoinGroup v5, the coordinator offers up to v${version}`,
          );
        }
        return {
          groupId: this.config.groupId,
          sessionTimeoutMs: this.options.sessionTimeoutMs,
          rebalanceTimeoutMs: this.options.maxPollIntervalMs,
          memberId: this.memberId,
          groupInstanceId: this.config.groupInstanceId,
          protocolType: CONSUMER_PROTOCOL_TYPE,
          protocols: this.config.assignors.map((assignor) => {
            const subscription: Subscription = {
              version: 2,
              topics,
              userData: assignor.userData(owned, generationId),
              ownedPartitions: owned,
              generationId,
              rackId: null,
            };
            return { name: assignor.name, metadata: encodeSubscription(subscription) };
          }),
        };
      },
      { timeoutMs: this.rebalanceRequestTimeoutMs(), signal },
    );
  }

  /** null when joined; otherwise what to do next. */
  private checkJoin(joined: JoinGroupResponse): StepOutcome | null {
    const code = joined.errorCode;
    switch (code) {
      case 0: {
        const assignor = this.config.assignors.find((candidate) => candidate.name === joined.protocolName);
        if (assignor === undefined) {
          return this.fail(
            new Error(
              `groups/${this.config.groupId}: the coordinator chose ${joined.protocolName}, which this member did not offer`,
            ),
          );
        }
        this.memberId = joined.memberId;
        this.generation = {
          generationId: joined.generationId,
          memberId: joined.memberId,
          protocolName: assignor.name,
          leader: joined.leader === joined.memberId,
        };
        return null;
      }
      case ErrorCode.MEMBER_ID_REQUIRED:
        this.memberId = joined.memberId;
        return 'retry-now';
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.memberId = '';
        this.generation = null;
        return 'retry-now';
      case ErrorCode.REBALANCE_IN_PROGRESS:
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
        return 'backoff';
      default:
        return this.groupError(code, 'JoinGroup');
    }
  }

  private checkSync(code: number): StepOutcome | null {
    switch (code) {
      case 0:
        return null;
      case ErrorCode.REBALANCE_IN_PROGRESS:
        return 'retry-now';
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.memberId = '';
        this.generation = null;
        return 'retry-now';
      case ErrorCode.ILLEGAL_GENERATION:
        this.generation = null;
        return 'retry-now';
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
        return 'backoff';
      default:
        return this.groupError(code, 'SyncGroup');
    }
  }

  /** An error code of JoinGroup or SyncGroup not handled above: coordinator moves back off, the rest fail. */
  private groupError(code: number, api: string): StepOutcome {
    if (COORDINATOR_MOVED_ERROR_CODES.has(code)) {
      this.config.channel.markUnknown(`${api}: error ${code}`);
      return 'backoff';
    }
    const error = kafkaErrorAt(code, `groups/${this.config.groupId}`);
    if (error.retriable) {
      this.logger.debug({ err: error, api }, 'retriable group error');
      return 'backoff';
    }
    return this.fail(error);
  }

  private requestFailed(error: unknown, api: string, signal: AbortSignal): StepOutcome {
    if (signal.aborted) return 'stopped';
    if (isFatal(error)) return this.fail(error as Error);
    this.logger.debug({ err: error, api }, 'group request failed; retrying');
    return 'backoff';
  }

  private fail(error: Error): 'failed' {
    this.logger.error({ err: error }, 'group membership failed');
    this.stopHeartbeats();
    this.active = false;
    this.generation = null;
    const kind = this.stateValue.kind;
    if (kind !== 'closed' && kind !== 'failed') {
      if (kind === 'leaving') this.moveTo({ kind: 'idle' });
      this.moveTo({ kind: 'failed', error });
    }
    this.host.fail(error);
    this.wake();
    return 'failed';
  }

  /** The leader's assignment for every member, as SyncGroup carries it. */
  private async computeAssignments(
    members: readonly JoinGroupResponseMember[],
    protocolName: string,
    signal: AbortSignal,
  ): Promise<{ memberId: string; assignment: Buffer }[]> {
    if (members.length > Limits.MAX_GROUP_MEMBERS) {
      throw new RangeError(`the group has ${members.length} members, more than ${Limits.MAX_GROUP_MEMBERS}`);
    }
    const assignor = this.config.assignors.find((candidate) => candidate.name === protocolName)!;
    const group: GroupMember[] = members.map((member) => {
      let subscription: Subscription;
      try {
        subscription = decodeSubscription(member.metadata);
      } catch (error) {
        this.logger.warn(
          { err: error, memberId: member.memberId },
          'unreadable subscription; assigning nothing',
        );
        subscription = {
          version: 0,
          topics: [],
          userData: null,
          ownedPartitions: [],
          generationId: -1,
          rackId: null,
        };
      }
      return { memberId: member.memberId, groupInstanceId: member.groupInstanceId, subscription };
    });
    const topics = [...new Set(group.flatMap((member) => member.subscription.topics))].sort();
    if (topics.length > Limits.MAX_SUBSCRIBED_TOPICS) {
      throw new RangeError(
        `the group subscribes to ${topics.length} topics, more than ${Limits.MAX_SUBSCRIBED_TOPICS}`,
      );
    }
    const counts = await this.host.partitionCounts(topics, signal);
    const result = assignor.assign({ members: group, partitionCounts: counts });
    checkAssignment(result, group, counts);
    this.leaderView = { topics, counts };
    this.logger.debug({ protocol: protocolName, members: group.length, topics }, 'computed the assignment');
    return group.map((member) => ({
      memberId: member.memberId,
      assignment: encodeAssignment({
        version: Math.min(member.subscription.version, ASSIGNMENT_VERSION_MAX),
        partitions: result.get(member.memberId) ?? [],
        userData: null,
      }),
    }));
  }

  /**
   * After SyncGroup: partitions the assignment leaves out are revoked (cooperative: then rejoin at once, so
   * the next round can hand them on), new ones are taken.
   */
  private async applyAssignment(assignment: Assignment, signal: AbortSignal): Promise<void> {
    const assigned = flattenTopicPartitions(assignment.partitions);
    const owned = this.host.owned();
    const assignedKeys = new Set(assigned.map(({ topic, partition }) => partitionKey(topic, partition)));
    const ownedKeys = new Set(owned.map(({ topic, partition }) => partitionKey(topic, partition)));
    const revoked = owned.filter(({ topic, partition }) => !assignedKeys.has(partitionKey(topic, partition)));
    const added = assigned.filter(({ topic, partition }) => !ownedKeys.has(partitionKey(topic, partition)));
    if (revoked.length > 0) {
      await this.host.release(revoked, 'revoked', signal);
      if (this.rebalanceProtocol === 'cooperative') this.requestRejoin('gave partitions up to other members');
    }
    await this.host.acquire(added, signal);
  }

  private rebalanceRequestTimeoutMs(): number {
    // JoinGroup is held for up to the rebalance timeout (max.poll.interval.ms), SyncGroup until the leader's comes.
    return Math.min(INT32_MAX, this.options.maxPollIntervalMs + this.options.requestTimeoutMs);
  }

  private startHeartbeats(): void {
    this.lastHeartbeatOkMs = this.clock.nowMs();
    this.scheduleHeartbeat(this.options.heartbeatIntervalMs);
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer !== null) this.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private scheduleHeartbeat(delayMs: number): void {
    this.stopHeartbeats();
    this.heartbeatTimer = this.clock.setTimeout(() => {
      this.heartbeatTimer = null;
      void this.heartbeat();
    }, delayMs);
  }

  /** One heartbeat, then the next is scheduled (while stable in the same generation). */
  private async heartbeat(): Promise<void> {
    const generation = this.generation;
    if (this.stateValue.kind !== 'stable' || generation === null) return;
    if (this.active && this.host.pollIdleMs() > this.options.maxPollIntervalMs) {
      void this.leaveAfterPollTimeout();
      return;
    }
    const now = this.clock.nowMs();
    if (now - this.lastHeartbeatOkMs > this.options.sessionTimeoutMs) {
      this.config.channel.markUnknown('no heartbeat answered within session.timeout.ms');
    }
    let nextMs = this.options.heartbeatIntervalMs;
    try {
      const response = await this.config.channel.request(
        Apis.Heartbeat,
        {
          groupId: this.config.groupId,
          generationId: generation.generationId,
          memberId: generation.memberId,
          groupInstanceId: this.config.groupInstanceId,
        },
        { timeoutMs: Math.min(this.options.requestTimeoutMs, this.options.sessionTimeoutMs) },
      );
      if (this.generation !== generation) return;
      const code = response.errorCode;
      if (code === 0) {
        this.lastHeartbeatOkMs = this.clock.nowMs();
      } else if (code === ErrorCode.REBALANCE_IN_PROGRESS) {
        this.lastHeartbeatOkMs = this.clock.nowMs();
        this.requestRejoin('the group is rebalancing');
      } else if (code === ErrorCode.ILLEGAL_GENERATION || code === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.logger.info(
          { code, generationId: generation.generationId },
          'the generation is over; partitions lost',
        );
        if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
        this.generation = null;
        this.requestRejoin('the generation is over');
        return;
      } else if (code === ErrorCode.FENCED_INSTANCE_ID) {
        this.fail(kafkaErrorAt(code, `groups/${this.config.groupId}`));
        return;
      } else {
        if (COORDINATOR_MOVED_ERROR_CODES.has(code))
          this.config.channel.markUnknown(`Heartbeat: error ${code}`);
        this.logger.debug({ code }, 'heartbeat failed');
        nextMs = this.options.retryBackoffMs;
      }
    } catch (error) {
      this.logger.debug({ err: error }, 'heartbeat failed');
      nextMs = this.options.retryBackoffMs;
    }
    if (this.stateValue.kind === 'stable' && this.generation === generation) this.scheduleHeartbeat(nextMs);
  }

  /** max.poll.interval.ms passed without the application asking for records: leave, lose the partitions. */
  private async leaveAfterPollTimeout(): Promise<void> {
    if (!this.active) return;
    this.logger.warn(
      { maxPollIntervalMs: this.options.maxPollIntervalMs },
      'the application asked for no records within max.poll.interval.ms; leaving the group',
    );
    this.active = false;
    await this.halt();
    const owned = this.host.owned();
    await this.sendLeaveGroup('consumer poll timeout has expired');
    this.generation = null;
    if (this.stateValue.kind !== 'idle' && this.stateValue.kind !== 'closed') this.moveTo({ kind: 'idle' });
    if (owned.length > 0) await this.host.release(owned, 'lost', NEVER_ABORTED);
  }

  /** LeaveGroup for a dynamic member (a static member stays, so that it can come back without a rebalance). */
  private async sendLeaveGroup(reason: string): Promise<void> {
    const memberId = this.memberId;
    this.generation = null;
    if (this.config.groupInstanceId !== null || memberId === '') return;
    const kind = this.stateValue.kind;
    if (kind === 'closed' || kind === 'failed') return;
    this.moveTo({ kind: 'leaving' });
    try {
      const response = await this.config.channel.request(Apis.LeaveGroup, {
        groupId: this.config.groupId,
        memberId,
        members: [{ memberId, groupInstanceId: null, reason }],
      });
      if (response.errorCode !== 0 && response.errorCode !== ErrorCode.UNKNOWN_MEMBER_ID) {
        this.logger.warn({ code: response.errorCode }, 'LeaveGroup failed');
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'LeaveGroup failed');
    }
    this.memberId = '';
    this.moveTo({ kind: 'idle' });
    this.logger.info({ memberId, reason }, 'left the group');
  }
}

/**
 * Errors that no retry cures: anything but lost connections, timeouts, malformed answers (the connection
 * is dropped; librdkafka's mock cluster answers a failed SyncGroup with null assignment bytes) and
 * retriable Kafka errors.
 */
function isFatal(error: unknown): boolean {
  if (
    ConnectionError.isInstance(error) ||
    RequestTimeoutError.isInstance(error) ||
    ProtocolError.isInstance(error)
  ) {
    return false;
  }
  if (KafkaError.isInstance(error)) return !error.retriable && !COORDINATOR_MOVED_ERROR_CODES.has(error.code);
  return true;
}

/**
 * The leader's invariants on what an assignor returned: only members of the group, only partitions that
 * exist, of topics the member subscribes to, each given at most once.
 */
function checkAssignment(
  result: ReadonlyMap<string, readonly TopicPartitions[]>,
  members: readonly GroupMember[],
  counts: ReadonlyMap<string, number>,
): void {
  const subscribed = new Map(members.map((member) => [member.memberId, new Set(member.subscription.topics)]));
  const seen = new Set<string>();
  for (const [memberId, list] of result) {
    const topics = subscribed.get(memberId);
    if (topics === undefined)
      throw new Error(`the assignor assigned partitions to ${memberId}, not a member`);
    for (const { topic, partitions } of list) {
      if (!topics.has(topic))
        throw new Error(`the assignor gave ${memberId} ${topic}, which it does not subscribe to`);
      for (const partition of partitions) {
        const key = partitionKey(topic, partition);
        if (partition < 0 || partition >= (counts.get(topic) ?? 0)) {
          throw new Error(`the assignor assigned ${topic}-${partition}, which does not exist`);
        }
        if (seen.has(key)) throw new Error(`the assignor assigned ${topic}-${partition} twice`);
        seen.add(key);
      }
    }
  }
}
