import { setTimeout as sleep } from 'node:timers/promises';
import { CompressionTypes, type IHeaders, Kafka, type LogEntry, logLevel, type Message } from 'kafkajs';
import { CaptureLimits } from './capture-limits.js';
import type { ClientSession } from './client-session.js';
import {
  type Compression,
  KAFKAJS_GROUP,
  KAFKAJS_RECORDS,
  KAFKAJS_TOPIC,
  type SentRecord,
} from './fixture-records.js';

/**
 * kafkajs sessions: a producer sending the fixed records with and without gzip, then a consumer group
 * member reading them back (FindCoordinator, JoinGroup, SyncGroup, OffsetFetch, ListOffsets, Fetch,
 * Heartbeat, OffsetCommit, LeaveGroup).
 */

const CLIENT_ID = 'sluice-fixtures';
/** How long the group member keeps polling after reading everything, so that it sends a Heartbeat. */
const SETTLE_MS = 1_000;
const CODECS: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

function client(bootstrap: string, problems: string[]): Kafka {
  return new Kafka({
    clientId: CLIENT_ID,
    brokers: [bootstrap],
    retry: { retries: 2 },
    logLevel: logLevel.ERROR,
    logCreator: () => (entry: LogEntry) => {
      problems.push(`kafkajs ${entry.namespace}: ${entry.log.message}`);
    },
  });
}

function toMessage(record: SentRecord): Message {
  const headers: IHeaders = {};
  for (const header of record.headers) headers[header.key] = header.value;
  if (record.timestampMs === null) throw new Error('kafkajs records carry their timestamps');
  return {
    key: record.key,
    value: record.value,
    partition: 0,
    headers,
    timestamp: String(record.timestampMs),
  };
}

function producerSession(compression: Compression): ClientSession {
  const records = KAFKAJS_RECORDS[compression];
  return {
    client: 'kafkajs',
    name: `produce-${compression}`,
    produced: { topic: KAFKAJS_TOPIC, compression, records },
    advertisedOverrides: null,
    async run(bootstrap) {
      const problems: string[] = [];
      const producer = client(bootstrap, problems).producer({ allowAutoTopicCreation: true });
      await producer.connect();
      try {
        await producer.send({
          topic: KAFKAJS_TOPIC,
          acks: -1,
          compression: CODECS[compression],
          messages: records.map(toMessage),
        });
      } finally {
        await producer.disconnect();
      }
      if (problems.length > 0) throw new Error(problems.join('\n'));
    },
  };
}

const groupSession: ClientSession = {
  client: 'kafkajs',
  name: 'group',
  produced: null,
  advertisedOverrides: null,
  async run(bootstrap) {
    const expected = [...KAFKAJS_RECORDS.none, ...KAFKAJS_RECORDS.gzip];
    const received: { key: string | null; value: string | null }[] = [];
    const problems: string[] = [];
    const consumer = client(bootstrap, problems).consumer({
      groupId: KAFKAJS_GROUP,
      maxWaitTimeInMs: 100,
      heartbeatInterval: 100,
      sessionTimeout: 6_000,
      rebalanceTimeout: 6_000,
    });
    let allReceived: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      allReceived = resolve;
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: KAFKAJS_TOPIC, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message, heartbeat }) => {
          received.push({
            key: message.key?.toString('utf8') ?? null,
            value: message.value?.toString('utf8') ?? null,
          });
          await heartbeat();
          if (received.length >= expected.length) allReceived();
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`kafkajs consumer got ${received.length} of ${expected.length} records`)),
          CaptureLimits.sessionTimeoutMs,
        );
      });
      await Promise.race([done, timedOut]).finally(() => clearTimeout(timer));
      await sleep(SETTLE_MS);
    } finally {
      await consumer.disconnect();
    }
    const wanted = expected.map((record) => ({ key: record.key, value: record.value }));
    if (JSON.stringify(received) !== JSON.stringify(wanted)) {
      throw new Error(
        `kafkajs consumer read ${JSON.stringify(received)}, expected ${JSON.stringify(wanted)}`,
      );
    }
    if (problems.length > 0) throw new Error(problems.join('\n'));
  },
};

/** In the order they run: the group member reads what the producers wrote. */
export const KAFKAJS_SESSIONS: readonly ClientSession[] = [
  producerSession('none'),
  producerSession('gzip'),
  groupSession,
];
