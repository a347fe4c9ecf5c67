import { randomUUID } from 'node:crypto';

/**
 * Just enough of a group coordinator for one client to go through a consumer group's life: join (with
 * MEMBER_ID_REQUIRED first, as Kafka 2.2+ answers a member without an id), sync, heartbeat, commit, leave.
 * Each group has a single member: a join with a known member id makes that member the whole group and its
 * leader, in a new generation, at once (no rebalance delay, no waiting for other members).
 */

export interface JoinProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export type JoinOutcome =
  | { readonly kind: 'member-id-required'; readonly memberId: string }
  | {
      readonly kind: 'joined';
      readonly memberId: string;
      readonly generationId: number;
      readonly protocolName: string;
      readonly metadata: Buffer;
    };

interface Group {
  /** Increases by one on every completed join; 0 before the first. */
  generationId: number;
  /** The only member (and so the leader), or null before the first join and after it leaves. */
  memberId: string | null;
  /** What the leader assigned in the current generation, by member id. */
  assignments: Map<string, Buffer>;
  /** Committed offsets by "topic/partition". */
  committedOffsets: Map<string, bigint>;
}

export class ConsumerGroups {
  private readonly groups = new Map<string, Group>();

  private group(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) {
      group = { generationId: 0, memberId: null, assignments: new Map(), committedOffsets: new Map() };
      this.groups.set(groupId, group);
    }
    return group;
  }

  join(groupId: string, memberId: string, clientId: string, protocols: readonly JoinProtocol[]): JoinOutcome {
    if (protocols.length === 0) throw new Error(`join of group ${groupId} names no protocol`);
    if (memberId === '') return { kind: 'member-id-required', memberId: `${clientId}-${randomUUID()}` };
    const group = this.group(groupId);
    group.generationId += 1;
    group.memberId = memberId;
    group.assignments.clear();
    const chosen = protocols[0];
    return {
      kind: 'joined',
      memberId,
      generationId: group.generationId,
      protocolName: chosen.name,
      metadata: chosen.metadata,
    };
  }

  /** Stores the leader's assignments (if any) and returns the one for `memberId` (empty if none). */
  sync(groupId: string, memberId: string, assignments: readonly { memberId: string; assignment: Buffer }[]) {
    const group = this.group(groupId);
    for (const entry of assignments) group.assignments.set(entry.memberId, Buffer.from(entry.assignment));
    return group.assignments.get(memberId) ?? Buffer.alloc(0);
  }

  isMember(groupId: string, memberId: string): boolean {
    return this.groups.get(groupId)?.memberId === memberId;
  }

  leave(groupId: string, memberId: string): void {
    const group = this.groups.get(groupId);
    if (group?.memberId === memberId) group.memberId = null;
  }

  commit(groupId: string, topic: string, partition: number, offset: bigint): void {
    this.group(groupId).committedOffsets.set(`${topic}/${partition}`, offset);
  }

  /** The committed offset, or -1 when there is none (so the consumer applies its reset policy). */
  committed(groupId: string, topic: string, partition: number): bigint {
    return this.groups.get(groupId)?.committedOffsets.get(`${topic}/${partition}`) ?? -1n;
  }
}
