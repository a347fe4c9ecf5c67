import * as sluiceBroker from '@sluice/broker';
import { Cluster, networkOptionTable, resolveOptions } from '@sluice/network';
import { Producer } from '@sluice/producer';
import { Apis } from '@sluice/protocol';
import { mockClusterUnavailableReason, startMockCluster, startSluiceBroker } from '@sluice/test-support';
import { describeOrSkip, startedForSuite } from '@sluice/test-support/vitest';
import { pino } from 'pino';

/**
 * Where group tests run: a Sluice broker in this process (whose group coordinator is under test together
 * with the client), or librdkafka's mock cluster (an independent implementation of the group protocol,
 * rougher: it picks the leader's first protocol, and creates every topic with 4 partitions).
 */
export interface GroupTarget {
  readonly name: 'sluice' | 'mock';
  readonly bootstrap: string;
  /** A new topic; the mock ignores `partitions` (4 partitions). Resolves with its name and partition count. */
  createTopic(prefix: string, partitions: number): Promise<{ topic: string; partitions: number }>;
  stop(): Promise<void>;
}

export const testLogger = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });

let topicCounter = 0;

/** Broker settings that make group tests quick: no initial rebalance delay. */
export const FAST_GROUP_SETTINGS: Record<string, string> = {
  'group.initial.rebalance.delay.ms': '0',
};

export async function sluiceTarget(settings: Record<string, string> = {}): Promise<GroupTarget> {
  const broker = await startSluiceBroker(sluiceBroker, { ...FAST_GROUP_SETTINGS, ...settings });
  return {
    name: 'sluice',
    bootstrap: broker.bootstrap,
    createTopic: (prefix, partitions) => createTopic(broker.bootstrap, prefix, partitions, true),
    stop: () => broker.stop(),
  };
}

export async function mockTarget(): Promise<GroupTarget> {
  const mock = await startMockCluster(3_600);
  return {
    name: 'mock',
    bootstrap: mock.bootstrap,
    createTopic: (prefix, partitions) => createTopic(mock.bootstrap, prefix, partitions, false),
    stop: () => mock.stop(),
  };
}

/** The targets to run group tests against: SLUICE_GROUP_TARGETS (default "sluice,mock" when the mock can run). */
export function groupTargetNames(): ('sluice' | 'mock')[] {
  const wanted = (process.env.SLUICE_GROUP_TARGETS ?? 'sluice,mock').split(',').map((name) => name.trim());
  return wanted.filter(
    (name): name is 'sluice' | 'mock' =>
      name === 'sluice' || (name === 'mock' && mockClusterUnavailableReason() === null),
  );
}

export function startTarget(name: 'sluice' | 'mock'): Promise<GroupTarget> {
  return name === 'sluice' ? sluiceTarget() : mockTarget();
}

/** How long a target may take to start: the mock cluster may be built first. */
const TARGET_START_TIMEOUT_MS = 300_000;

/**
 * One describe block per target of groupTargetNames(), named "<title> against a Sluice broker" or "...
 * against librdkafka's mock cluster", with its target started before the block's tests and stopped after
 * them; skipped, saying why, when `skipReason` is not null.
 */
export function describeEachTarget(
  title: string,
  body: (target: GroupTarget, name: 'sluice' | 'mock') => void,
  skipReason: string | null = null,
): void {
  for (const name of groupTargetNames()) {
    const where = name === 'sluice' ? 'a Sluice broker' : "librdkafka's mock cluster";
    describeOrSkip(`${title} against ${where}`, skipReason, () =>
      body(
        startedForSuite(() => startTarget(name), { timeoutMs: TARGET_START_TIMEOUT_MS }),
        name,
      ),
    );
  }
}

async function createTopic(
  bootstrap: string,
  prefix: string,
  partitions: number,
  canCreate: boolean,
): Promise<{ topic: string; partitions: number }> {
  const topic = `${prefix}-${process.pid}-${++topicCounter}`;
  const options = resolveOptions(networkOptionTable, { bootstrapServers: bootstrap });
  const cluster = new Cluster({ ...options, allowAutoTopicCreation: true, logger: testLogger });
  try {
    await cluster.connect();
    if (canCreate) {
      const response = await cluster.request('controller', Apis.CreateTopics, {
        topics: [
          { name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] },
        ],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      const code = response.topics[0]?.errorCode ?? -1;
      if (code !== 0) throw new Error(`CreateTopics ${topic}: error ${code}`);
    }
    const metadata = await cluster.metadata.waitForTopic(topic, Date.now() + 10_000);
    return { topic, partitions: metadata.partitions.length };
  } finally {
    await cluster.close();
  }
}

/** Writes `count` records `${prefix}-${i}` round robin over the partitions; resolves once acknowledged. */
export async function produceValues(
  bootstrap: string,
  topic: string,
  partitions: number,
  count: number,
  prefix = 'v',
  from = 0,
): Promise<void> {
  const producer = new Producer<string, string>({
    bootstrapServers: bootstrap,
    logger: testLogger,
    lingerMs: 5,
  });
  try {
    await producer.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({
        key: `${prefix}-${from + i}`,
        value: `${prefix}-${from + i}`,
        partition: (from + i) % partitions,
      })),
    });
  } finally {
    await producer.close();
  }
}

/** Resolves when `condition` holds, polling every `intervalMs`; rejects after `timeoutMs` saying `what`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
