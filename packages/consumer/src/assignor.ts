import type { Subscription, TopicPartitions } from './consumer-protocol.js';

/**
 * How a group moves partitions between members:
 * - `eager`: every member gives up all its partitions before it rejoins, then takes what the new
 *   assignment says (range, roundrobin). Simple; the whole group stops during a rebalance.
 * - `cooperative` (KIP-429): members keep their partitions while they rejoin; the leader never gives a
 *   partition to a new owner in the same round that its old owner still holds it. An owner that loses
 *   partitions gives them up and rejoins at once, and a second round hands them on. Partitions that do not
 *   move keep flowing throughout.
 */
export type RebalanceProtocol = 'eager' | 'cooperative';

/** One member of the group as the leader sees it in the JoinGroup response. */
export interface GroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly subscription: Subscription;
}

export interface AssignmentInput {
  /** Every member, in the order the coordinator listed them. */
  readonly members: readonly GroupMember[];
  /** Partition count of every topic some member subscribes to and the cluster knows. */
  readonly partitionCounts: ReadonlyMap<string, number>;
}

/**
 * An assignment strategy. Its `name` is the protocol name members send in JoinGroup; the coordinator picks
 * a name every member offers (INCONSISTENT_GROUP_PROTOCOL when there is none), and the group's leader runs
 * that assignor for everyone.
 */
export interface PartitionAssignor {
  readonly name: string;
  readonly rebalanceProtocol: RebalanceProtocol;
  /**
   * The user data this member puts in its subscription, from what it owns and the generation it got it in
   * (sticky assignors carry them for members too old to send owned partitions); null for none.
   */
  userData(owned: readonly TopicPartitions[], generationId: number): Buffer | null;
  /** Partitions per member id; every member of the input appears, possibly with nothing. */
  assign(input: AssignmentInput): Map<string, TopicPartitions[]>;
}

/** Java's member order, which librdkafka shares: static members by instance id first, then by member id. */
export function compareMembers(a: GroupMember, b: GroupMember): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) {
    return compareStrings(a.groupInstanceId, b.groupInstanceId);
  }
  if (a.groupInstanceId !== null) return -1;
  if (b.groupInstanceId !== null) return 1;
  return compareStrings(a.memberId, b.memberId);
}

/** Code-unit order, as Java's String.compareTo (not locale order). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A member id → (topic → partitions) table that turns into the assignor's result. */
export class AssignmentBuilder {
  private readonly byMember = new Map<string, Map<string, number[]>>();

  constructor(members: readonly GroupMember[]) {
    for (const member of members) this.byMember.set(member.memberId, new Map());
  }

  add(memberId: string, topic: string, partition: number): void {
    const topics = this.byMember.get(memberId);
    if (topics === undefined) throw new Error(`assignment to ${memberId}, who is not a member`);
    let partitions = topics.get(topic);
    if (partitions === undefined) {
      partitions = [];
      topics.set(topic, partitions);
    }
    partitions.push(partition);
  }

  build(): Map<string, TopicPartitions[]> {
    const result = new Map<string, TopicPartitions[]>();
    for (const [memberId, topics] of this.byMember) {
      result.set(
        memberId,
        [...topics.entries()]
          .sort(([a], [b]) => compareStrings(a, b))
          .map(([topic, partitions]) => ({ topic, partitions: partitions.sort((x, y) => x - y) })),
      );
    }
    return result;
  }
}

/** The topics some member subscribes to that the cluster knows, sorted. */
export function knownSubscribedTopics(input: AssignmentInput): string[] {
  const topics = new Set<string>();
  for (const member of input.members) {
    for (const topic of member.subscription.topics) {
      if ((input.partitionCounts.get(topic) ?? 0) > 0) topics.add(topic);
    }
  }
  return [...topics].sort(compareStrings);
}
