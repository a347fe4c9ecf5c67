/**
 * One kafkajs group member in its own process (spawned by KafkajsMember in group-clients.ts): consumer.run
 * with eachMessage, committing as kafkajs does by default. Prints one JSON line per message and per group
 * event; stops cleanly (leaving the group) on SIGTERM. Configured by MEMBER_* environment variables.
 */
import { Kafka, logLevel } from 'kafkajs';

const bootstrap = process.env.MEMBER_BOOTSTRAP!;
const groupId = process.env.MEMBER_GROUP!;
const topic = process.env.MEMBER_TOPIC!;
const sessionTimeout = Number(process.env.MEMBER_SESSION_TIMEOUT_MS ?? 6000);

const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const kafka = new Kafka({ clientId: 'kafkajs-member', brokers: [bootstrap], logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({
  groupId,
  sessionTimeout,
  rebalanceTimeout: sessionTimeout * 2,
  heartbeatInterval: 300,
  retry: { retries: 10, initialRetryTime: 100 },
});
consumer.on(consumer.events.GROUP_JOIN, (event) => {
  const assigned = (event.payload.memberAssignment[topic] ?? []) as number[];
  print({
    event: 'group.join',
    partitions: assigned,
    memberId: event.payload.memberId,
    leader: event.payload.isLeader,
  });
});
consumer.on(consumer.events.CRASH, (event) => {
  const error = event.payload.error as Error & { type?: string };
  print({ event: 'crash', type: error.type ?? null, message: error.message });
});

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  autoCommitInterval: 200,
  eachMessage: async ({ partition, message }) => {
    print({ partition, offset: message.offset, value: message.value?.toString() ?? null });
  },
});
print({ event: 'running' });

process.on('SIGTERM', () => {
  consumer.disconnect().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
