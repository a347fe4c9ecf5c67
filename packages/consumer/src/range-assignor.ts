import {
  AssignmentBuilder,
  type AssignmentInput,
  compareMembers,
  knownSubscribedTopics,
  type PartitionAssignor,
} from './assignor.js';
import type { TopicPartitions } from './consumer-protocol.js';

/**
 * `range` (Kafka's RangeAssignor, librdkafka's `range`): topic by topic, the members subscribed to it, in
 * member order (static members by instance id, then by member id), each get a contiguous range of its
 * partitions. With P partitions and C members, each gets floor(P / C) and the first P mod C one more.
 * Members subscribed to the same topics therefore get the same partition numbers of co-partitioned
 * topics, which joins across topics rely on. Eager.
 */
export const rangeAssignor: PartitionAssignor = {
  name: 'range',
  rebalanceProtocol: 'eager',
  userData: () => null,
  assign(input: AssignmentInput): Map<string, TopicPartitions[]> {
    const builder = new AssignmentBuilder(input.members);
    const members = [...input.members].sort(compareMembers);
    for (const topic of knownSubscribedTopics(input)) {
      const partitionCount = input.partitionCounts.get(topic) ?? 0;
      const consumers = members.filter((member) => member.subscription.topics.includes(topic));
      const perMember = Math.floor(partitionCount / consumers.length);
      const withExtra = partitionCount % consumers.length;
      consumers.forEach((member, i) => {
        const start = perMember * i + Math.min(i, withExtra);
        const length = perMember + (i < withExtra ? 1 : 0);
        for (let partition = start; partition < start + length; partition++) {
          builder.add(member.memberId, topic, partition);
        }
      });
    }
    return builder.build();
  },
};
