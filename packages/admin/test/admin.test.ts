import * as sluiceBroker from '@sluice/broker';
import { Cluster, networkOptionRelations, networkOptionTable, resolveOptions } from '@sluice/network';
import { Apis, encodeRecordBatch, KafkaError, UnsupportedVersionError } from '@sluice/protocol';
import { type InProcessBroker, startSluiceBroker } from '@sluice/test-support';
import { describeWithMockCluster, startedForSuite } from '@sluice/test-support/vitest';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../src/index.js';

const logger = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });

/** Writes records with given timestamps to one partition with a raw Produce (admin has no producer). */
async function produce(
  bootstrap: string,
  topic: string,
  partition: number,
  timestamps: number[],
): Promise<void> {
  const cluster = new Cluster({
    ...resolveOptions(networkOptionTable, { bootstrapServers: bootstrap }, networkOptionRelations),
    allowAutoTopicCreation: false,
    logger,
  });
  await cluster.connect();
  const metadata = await cluster.metadata.waitForTopic(topic, Date.now() + 10_000);
  const records = encodeRecordBatch({
    records: timestamps.map((timestamp, i) => ({ value: `r${i}`, timestamp })),
  });
  const response = await cluster.request(metadata.partitions[partition].leaderId, Apis.Produce, {
    acks: -1,
    timeoutMs: 5_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  expect(response.responses[0].partitionResponses[0].errorCode).toBe(0);
  await cluster.close();
}

function located(error: unknown): { name: string; location: string } {
  expect(KafkaError.isInstance(error)).toBe(true);
  return {
    name: (error as KafkaError).errorName,
    location: (error as KafkaError & { location: string }).location,
  };
}

describe('Admin against a Sluice broker', () => {
  let broker: InProcessBroker<sluiceBroker.Broker>;
  let admin: Admin;

  beforeAll(async () => {
    broker = await startSluiceBroker(sluiceBroker, { 'auto.create.topics.enable': 'false' });
    admin = new Admin({ bootstrapServers: broker.bootstrap, logger, defaultApiTimeoutMs: 30_000 });
  });

  afterAll(async () => {
    await admin?.close();
    await broker?.stop();
  });

  it('creates topics with partitions and configs, which then list and describe with their leaders', async () => {
    await admin.createTopics([
      {
        topic: 'orders',
        numPartitions: 4,
        configs: { 'retention.ms': '3600000', 'cleanup.policy': 'delete' },
      },
      { topic: 'payments', numPartitions: 1 },
    ]);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['orders', 'payments']));
    const [orders] = await admin.describeTopics(['orders']);
    expect(orders.name).toBe('orders');
    expect(
      orders.partitions.map((partition) => [partition.partition, partition.leader, partition.replicas]),
    ).toEqual([
      [0, 1, [1]],
      [1, 1, [1]],
      [2, 1, [1]],
      [3, 1, [1]],
    ]);
    const [configs] = await admin.describeConfigs([
      { type: 'topic', name: 'orders', configNames: ['retention.ms', 'segment.bytes'] },
    ]);
    const retention = configs.configs.find((entry) => entry.name === 'retention.ms')!;
    expect(retention).toMatchObject({ value: '3600000', isDefault: false, source: 'dynamic-topic-config' });
    expect(configs.configs.find((entry) => entry.name === 'segment.bytes')).toMatchObject({
      isDefault: true,
    });
  });

  it('reports a topic that exists already, located at the topic; several failures together', async () => {
    await admin.createTopics([{ topic: 'existing', numPartitions: 1 }]);
    const error = await admin.createTopics([{ topic: 'existing' }]).catch((failure: unknown) => failure);
    expect(located(error)).toEqual({ name: 'TOPIC_ALREADY_EXISTS', location: 'topics/existing' });
    const several = await admin
      .createTopics([{ topic: 'existing' }, { topic: 'bad/name' }, { topic: 'fine-one' }])
      .catch((failure: unknown) => failure);
    expect(several).toBeInstanceOf(AggregateError);
    expect((several as AggregateError).errors.map(located)).toEqual([
      { name: 'TOPIC_ALREADY_EXISTS', location: 'topics/existing' },
      { name: 'INVALID_TOPIC_EXCEPTION', location: 'topics/bad/name' },
    ]);
    // The topic that could be created was, once.
    expect(await admin.listTopics()).toContain('fine-one');
  });

  it('grows a topic with createPartitions and refuses to shrink it', async () => {
    await admin.createTopics([{ topic: 'growing', numPartitions: 2 }]);
    await admin.createPartitions([{ topic: 'growing', count: 5 }]);
    expect((await admin.describeTopics(['growing']))[0].partitions).toHaveLength(5);
    const error = await admin
      .createPartitions([{ topic: 'growing', count: 3 }])
      .catch((failure: unknown) => failure);
    expect(located(error)).toEqual({ name: 'INVALID_PARTITIONS', location: 'topics/growing' });
  });

  it('deletes topics, and reports one that does not exist', async () => {
    await admin.createTopics([{ topic: 'doomed', numPartitions: 1 }]);
    await admin.deleteTopics(['doomed']);
    expect(await admin.listTopics()).not.toContain('doomed');
    const error = await admin.deleteTopics(['never-was']).catch((failure: unknown) => failure);
    expect(located(error)).toEqual({ name: 'UNKNOWN_TOPIC_OR_PARTITION', location: 'topics/never-was' });
    const missing = await admin.describeTopics(['never-was']).catch((failure: unknown) => failure);
    expect(located(missing)).toEqual({ name: 'UNKNOWN_TOPIC_OR_PARTITION', location: 'topics/never-was' });
  });

  it('describes the cluster: its id, the controller and the brokers', async () => {
    expect(await admin.describeCluster()).toEqual({
      clusterId: broker.broker.clusterId,
      controllerId: 1,
      brokers: [{ nodeId: 1, host: '127.0.0.1', port: broker.broker.port, rack: null }],
    });
  });

  it("describes a broker's configs, asked of that broker", async () => {
    const [description] = await admin.describeConfigs([{ type: 'broker', name: '1' }]);
    expect(description.type).toBe('broker');
    expect(description.configs.find((entry) => entry.name === 'auto.create.topics.enable')?.value).toBe(
      'false',
    );
  });

  it('alters topic configs (validateOnly changes nothing)', async () => {
    await admin.createTopics([{ topic: 'tuned', numPartitions: 1 }]);
    const describe = async () =>
      (await admin.describeConfigs([{ type: 'topic', name: 'tuned', configNames: ['retention.ms'] }]))[0]
        .configs[0];
    await admin.alterConfigs([{ type: 'topic', name: 'tuned', configs: { 'retention.ms': '1000' } }], {
      validateOnly: true,
    });
    expect((await describe()).isDefault).toBe(true);
    await admin.alterConfigs([{ type: 'topic', name: 'tuned', configs: { 'retention.ms': '7200000' } }]);
    expect(await describe()).toMatchObject({ value: '7200000', isDefault: false });
    const error = await admin
      .alterConfigs([{ type: 'topic', name: 'tuned', configs: { 'retention.ms': 'soon' } }])
      .catch((failure: unknown) => failure);
    expect(located(error)).toEqual({ name: 'INVALID_CONFIG', location: 'topics/tuned' });
  });

  it('lists earliest, latest and by-timestamp offsets, and deletes records before an offset', async () => {
    await admin.createTopics([{ topic: 'offsets', numPartitions: 2 }]);
    const t0 = 1_700_000_000_000;
    await produce(broker.bootstrap, 'offsets', 1, [t0, t0 + 1_000, t0 + 2_000, t0 + 3_000]);
    const offsets = await admin.listOffsets([
      { topic: 'offsets', partition: 1, spec: 'earliest' },
      { topic: 'offsets', partition: 1, spec: 'latest' },
      { topic: 'offsets', partition: 1, spec: { timestamp: t0 + 1_500 } },
      { topic: 'offsets', partition: 0, spec: 'latest' },
    ]);
    expect(offsets.map((entry) => [entry.partition, entry.offset, entry.timestamp])).toEqual([
      [1, 0, -1],
      [1, 4, -1],
      [1, 2, t0 + 2_000],
      [0, 0, -1],
    ]);
    expect(await admin.deleteRecords([{ topic: 'offsets', partition: 1, beforeOffset: 3 }])).toEqual([
      { topic: 'offsets', partition: 1, lowWatermark: 3 },
    ]);
    expect((await admin.listOffsets([{ topic: 'offsets', partition: 1, spec: 'earliest' }]))[0].offset).toBe(
      3,
    );
  });

  it('fails at once for offsets of a topic or partition that does not exist', async () => {
    const started = Date.now();
    const error = await admin
      .listOffsets([{ topic: 'nowhere', partition: 0, spec: 'latest' }])
      .catch((failure: unknown) => failure);
    expect(located(error)).toEqual({
      name: 'UNKNOWN_TOPIC_OR_PARTITION',
      location: 'topics/nowhere/partitions/0',
    });
    await admin.createTopics([{ topic: 'one-partition', numPartitions: 1 }]);
    await expect(
      admin.listOffsets([{ topic: 'one-partition', partition: 7, spec: 'latest' }]),
    ).rejects.toThrow('topics/one-partition/partitions/7: one-partition has 1 partitions');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describeWithMockCluster("Admin against librdkafka's mock cluster", { lifetimeSeconds: 120 }, (mock) => {
  const admin = startedForSuite(
    () => new Admin({ bootstrapServers: mock.bootstrap, logger, defaultApiTimeoutMs: 30_000 }),
    { stop: (started) => started.close() },
  );

  it('describes its three brokers and the partitions of topic "t", and lists their offsets', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.map((broker) => broker.nodeId)).toEqual([1, 2, 3]);
    const [topic] = await admin.describeTopics(['t']);
    expect(topic.partitions.map((partition) => partition.partition)).toEqual([0, 1, 2]);
    expect(topic.partitions.every((partition) => [1, 2, 3].includes(partition.leader))).toBe(true);
    const offsets = await admin.listOffsets(
      [0, 1, 2].map((partition) => ({ topic: 't', partition, spec: 'earliest' as const })),
    );
    expect(offsets.map((entry) => entry.offset)).toEqual([0, 0, 0]);
  });

  it('says clearly when the broker does not offer an API (CreateTopics)', async () => {
    const error = await admin.createTopics([{ topic: 'x' }]).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(UnsupportedVersionError);
    expect((error as Error).message).toMatch(
      /^CreateTopics: broker .* supports no version, this client v2-3$/,
    );
  });
});
