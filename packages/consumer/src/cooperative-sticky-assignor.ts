import { Reader, Writer } from '@sluice/protocol';
import {
  AssignmentBuilder,
  type AssignmentInput,
  compareMembers,
  type GroupMember,
  knownSubscribedTopics,
  type PartitionAssignor,
} from './assignor.js';
import type { TopicPartitions } from './consumer-protocol.js';

/**
 * `cooperative-sticky` (KIP-429, the name Kafka's CooperativeStickyAssignor and librdkafka use): a balanced
 * assignment that moves as few partitions as it can, handed out cooperatively.
 *
 * 1. Ownership: each member's owned partitions (subscription v1+, or the previous assignment in its sticky
 *    user data for older members) count when the member still subscribes to the topic and the partition
 *    exists. A partition claimed by two members goes to the claim of the later generation (subscription
 *    v2+ generation, or the one in the user data); two claims of one generation are both dropped.
 * 2. Target: every member keeps what it validly owns; each unowned partition goes to the subscribed member
 *    with the fewest partitions; then, while some member has two more than a member that could take one of
 *    its partitions, its last such partition moves over. Members with the same subscription end within one
 *    partition of each other.
 * 3. Cooperation: a partition whose target owner is not its current owner is left out of this round. Its
 *    owner sees it gone, gives it up and rejoins at once; in the next round it is unowned and goes to its
 *    target. No partition is ever owned by two members at once.
 *
 * User data (Kafka's StickyAssignorUserDataV1, which librdkafka's sticky assignors also write):
 * `previous_assignment [topic STRING, partitions [INT32]], generation INT32`.
 */
export const cooperativeStickyAssignor: PartitionAssignor = {
  name: 'cooperative-sticky',
  rebalanceProtocol: 'cooperative',
  userData(owned: readonly TopicPartitions[], generationId: number): Buffer {
    const writer = new Writer(64).arrayLength(owned.length);
    for (const { topic, partitions } of owned) {
      writer.string(topic).arrayLength(partitions.length);
      for (const partition of partitions) writer.int32(partition);
    }
    return writer.int32(generationId).toBuffer();
  },
  assign(input: AssignmentInput): Map<string, TopicPartitions[]> {
    return stickyAssignment(input, true);
  },
};

interface StickyUserData {
  readonly previous: TopicPartitions[];
  readonly generationId: number;
}

/**
 * Reads sticky user data: 4 bytes are a generation alone (Kafka's CooperativeStickyAssignor); otherwise
 * StickyAssignorUserData v1 (v0 lacks the generation). Null for anything else.
 */
export function decodeStickyUserData(userData: Buffer | null): StickyUserData | null {
  if (userData === null || userData.length === 0) return null;
  try {
    const reader = new Reader(userData);
    if (userData.length === 4) return { previous: [], generationId: reader.int32() };
    const count = reader.arrayLength();
    const previous: TopicPartitions[] = [];
    for (let i = 0; i < count; i++) {
      const topic = reader.string();
      const partitionCount = reader.arrayLength();
      const partitions: number[] = [];
      for (let j = 0; j < partitionCount; j++) partitions.push(reader.int32());
      previous.push({ topic, partitions });
    }
    const generationId = reader.remaining >= 4 ? reader.int32() : -1;
    return { previous, generationId };
  } catch {
    return null;
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** What a member claims to own, and in which generation. */
function claimsOf(member: GroupMember): { owned: readonly TopicPartitions[]; generationId: number } {
  const subscription = member.subscription;
  const sticky = decodeStickyUserData(subscription.userData);
  const generationId = subscription.version >= 2 ? subscription.generationId : (sticky?.generationId ?? -1);
  const owned =
    subscription.version >= 1 && subscription.ownedPartitions.length > 0
      ? subscription.ownedPartitions
      : (sticky?.previous ?? []);
  return { owned, generationId };
}

interface Slot {
  readonly member: GroupMember;
  readonly topics: ReadonlySet<string>;
  /** Target partitions, as keys, in the order they were given. */
  readonly partitions: string[];
}

/** The sticky, balanced target; with `cooperative`, minus partitions that would change owner this round. */
export function stickyAssignment(
  input: AssignmentInput,
  cooperative: boolean,
): Map<string, TopicPartitions[]> {
  const members = [...input.members].sort(compareMembers);
  const slots = new Map<string, Slot>();
  for (const member of members) {
    slots.set(member.memberId, {
      member,
      topics: new Set(member.subscription.topics),
      partitions: [],
    });
  }
  const topicOf = new Map<string, { topic: string; partition: number }>();
  const allPartitions: string[] = [];
  for (const topic of knownSubscribedTopics(input)) {
    const count = input.partitionCounts.get(topic) ?? 0;
    for (let partition = 0; partition < count; partition++) {
      const key = partitionKey(topic, partition);
      topicOf.set(key, { topic, partition });
      allPartitions.push(key);
    }
  }

  // 1. Valid current ownership.
  const owner = new Map<string, { memberId: string; generationId: number }>();
  const contested = new Set<string>();
  for (const member of members) {
    const { owned, generationId } = claimsOf(member);
    const slot = slots.get(member.memberId)!;
    for (const { topic, partitions } of owned) {
      if (!slot.topics.has(topic)) continue;
      for (const partition of partitions) {
        const key = partitionKey(topic, partition);
        if (!topicOf.has(key)) continue;
        const earlier = owner.get(key);
        if (earlier === undefined) {
          if (!contested.has(key)) owner.set(key, { memberId: member.memberId, generationId });
        } else if (generationId > earlier.generationId) {
          owner.set(key, { memberId: member.memberId, generationId });
        } else if (generationId === earlier.generationId && earlier.memberId !== member.memberId) {
          owner.delete(key);
          contested.add(key);
        }
      }
    }
  }
  const currentOwner = new Map<string, string>();
  for (const [key, { memberId }] of owner) {
    currentOwner.set(key, memberId);
    slots.get(memberId)!.partitions.push(key);
  }

  // 2. Unowned partitions to the least loaded subscribed member, then balance.
  const ordered = [...slots.values()];
  for (const key of allPartitions) {
    if (currentOwner.has(key)) continue;
    const { topic } = topicOf.get(key)!;
    let best: Slot | null = null;
    for (const slot of ordered) {
      if (slot.topics.has(topic) && (best === null || slot.partitions.length < best.partitions.length)) {
        best = slot;
      }
    }
    best?.partitions.push(key);
  }
  // Each move lowers the sum of squared loads, so the loop ends; the bound is a guard.
  const moveLimit = allPartitions.length * Math.max(1, ordered.length);
  for (let moves = 0; moves < moveLimit; moves++) {
    if (!moveOne(ordered, topicOf)) break;
  }

  // 3. Leave out partitions that change owner this round.
  const builder = new AssignmentBuilder(input.members);
  for (const slot of ordered) {
    for (const key of slot.partitions) {
      const previous = currentOwner.get(key);
      if (cooperative && previous !== undefined && previous !== slot.member.memberId) continue;
      const { topic, partition } = topicOf.get(key)!;
      builder.add(slot.member.memberId, topic, partition);
    }
  }
  return builder.build();
}

/** Moves one partition from a most loaded member to a less loaded one that can take it; false if none can. */
function moveOne(slots: Slot[], topicOf: ReadonlyMap<string, { topic: string }>): boolean {
  const descending = [...slots].sort(
    (a, b) => b.partitions.length - a.partitions.length || compareMembers(a.member, b.member),
  );
  const ascending = [...descending].reverse();
  for (const from of descending) {
    for (const to of ascending) {
      if (from.partitions.length - to.partitions.length <= 1) break;
      for (let i = from.partitions.length - 1; i >= 0; i--) {
        const key = from.partitions[i];
        if (to.topics.has(topicOf.get(key)!.topic)) {
          from.partitions.splice(i, 1);
          to.partitions.push(key);
          return true;
        }
      }
    }
  }
  return false;
}
