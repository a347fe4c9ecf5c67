import {
  AssignmentBuilder,
  type AssignmentInput,
  compareMembers,
  knownSubscribedTopics,
  type PartitionAssignor,
} from './assignor.js';
import type { TopicPartitions } from './consumer-protocol.js';

/**
 * Round robin (Kafka's RoundRobinAssignor, librdkafka's `roundrobin`): every partition of every subscribed
 * topic, by topic name then partition number, dealt in turn to the members in member order, skipping a
 * member not subscribed to the partition's topic. Members with the same subscription end up within one
 * partition of each other. Eager.
 */
function roundRobin(name: string): PartitionAssignor {
  return {
    name,
    rebalanceProtocol: 'eager',
    userData: () => null,
    assign(input: AssignmentInput): Map<string, TopicPartitions[]> {
      const builder = new AssignmentBuilder(input.members);
      const members = [...input.members].sort(compareMembers);
      let next = 0;
      for (const topic of knownSubscribedTopics(input)) {
        const partitionCount = input.partitionCounts.get(topic) ?? 0;
        for (let partition = 0; partition < partitionCount; partition++) {
          // At least one member subscribes to the topic, so this finds one within a full turn.
          for (let step = 0; step < members.length; step++) {
            const member = members[(next + step) % members.length];
            if (member.subscription.topics.includes(topic)) {
              builder.add(member.memberId, topic, partition);
              next = (next + step + 1) % members.length;
              break;
            }
          }
        }
      }
      return builder.build();
    },
  };
}

export const roundRobinAssignor: PartitionAssignor = roundRobin('roundrobin');

/**
 * The same strategy under the protocol name kafkajs gives its default assigner, so that Sluice consumers
 * and kafkajs consumers can share a group.
 */
export const kafkajsRoundRobinAssignor: PartitionAssignor = roundRobin('RoundRobinAssigner');
