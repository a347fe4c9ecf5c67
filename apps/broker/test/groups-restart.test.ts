import { type BrokerProcess, freePort, removeDirectory, temporaryDirectory } from '@sluice/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { KcatMember, produceToPartitions, waitFor } from './group-clients.js';
import { startBrokerProcess } from './helpers.js';
import { kafkajs } from './kafkajs-client.js';

const PARTITIONS = 3;

describe('consumer groups across broker restarts', () => {
  const directories: string[] = [];
  const processes: BrokerProcess[] = [];
  const members: KcatMember[] = [];

  afterEach(async () => {
    await Promise.all(members.splice(0).map((member) => member.stop('SIGKILL')));
    for (const broker of processes.splice(0)) await broker.kill();
    for (const directory of directories.splice(0)) removeDirectory(directory);
  });

  const start = async (dataDir: string, port: number) => {
    const broker = await startBrokerProcess(dataDir, [
      '--set',
      `listeners=PLAINTEXT://127.0.0.1:${port}`,
      '--set',
      `num.partitions=${PARTITIONS}`,
      '--set',
      'offsets.topic.num.partitions=5',
      '--set',
      'group.initial.rebalance.delay.ms=300',
      '--set',
      'group.min.session.timeout.ms=1000',
    ]);
    processes.push(broker);
    return broker;
  };

  const committed = async (bootstrap: string, groupId: string, topic: string): Promise<string[]> => {
    const admin = kafkajs(bootstrap).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      return offsets[0].partitions.sort((a, b) => a.partition - b.partition).map((entry) => entry.offset);
    } finally {
      await admin.disconnect();
    }
  };

  const describeGroup = async (bootstrap: string, groupId: string) => {
    const admin = kafkajs(bootstrap).admin();
    await admin.connect();
    try {
      return (await admin.describeGroups([groupId])).groups[0];
    } finally {
      await admin.disconnect();
    }
  };

  it('keeps committed offsets and the group through a clean restart and through kill -9', async () => {
    const dataDir = temporaryDirectory();
    directories.push(dataDir);
    const port = await freePort();
    const bootstrap = `127.0.0.1:${port}`;
    const topic = 'restart-topic';
    const groupId = 'restart-group';
    let broker = await start(dataDir, port);
    await produceToPartitions(bootstrap, topic, PARTITIONS, 10, 'one-');
    const first = new KcatMember({ bootstrap, groupId, topics: [topic] });
    members.push(first);
    await waitFor(() => first.records.length === 30, 'the first 30 records');
    const settledOffsets = async () => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const offsets = await committed(bootstrap, groupId, topic);
        if (offsets.every((offset) => offset === '10') || Date.now() > deadline) return offsets;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    expect(await settledOffsets()).toEqual(['10', '10', '10']);
    await first.stop('SIGTERM');

    // A clean restart.
    broker.child.kill('SIGTERM');
    expect(await broker.exited).toBe(0);
    broker = await start(dataDir, port);
    expect(await committed(bootstrap, groupId, topic)).toEqual(['10', '10', '10']);
    expect(await describeGroup(bootstrap, groupId)).toMatchObject({
      groupId,
      state: 'Empty',
      protocolType: 'consumer',
    });
    await produceToPartitions(bootstrap, topic, PARTITIONS, 10, 'two-');
    const second = new KcatMember({ bootstrap, groupId, topics: [topic] });
    members.push(second);
    await waitFor(() => second.records.length === 30, 'the next 30 records');
    expect(second.records.every((record) => record.value.startsWith('two-') && record.offset >= 10)).toBe(
      true,
    );
    const deadline = Date.now() + 20_000;
    while (
      (await committed(bootstrap, groupId, topic)).some((offset) => offset !== '20') &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const before = await describeGroup(bootstrap, groupId);
    expect(before.state).toBe('Stable');

    // kill -9 with the member active: the group comes back Stable with its member, which goes on.
    broker.child.kill('SIGKILL');
    await broker.exited;
    broker = await start(dataDir, port);
    const after = await describeGroup(bootstrap, groupId);
    expect(after.state).toBe('Stable');
    expect(after.members.map((member) => member.memberId)).toEqual(
      before.members.map((member) => member.memberId),
    );
    expect(await committed(bootstrap, groupId, topic)).toEqual(['20', '20', '20']);
    const seenBefore = second.records.length;
    await produceToPartitions(bootstrap, topic, PARTITIONS, 10, 'three-');
    await waitFor(
      () => second.records.filter((record) => record.value.startsWith('three-')).length === 30,
      'the records produced after the crash',
      30_000,
    );
    // Nothing already committed was read again.
    expect(second.records.slice(seenBefore).every((record) => record.offset >= 20)).toBe(true);
  });

  it('refuses DeleteRecords on __consumer_offsets, so committed offsets survive a restart', async () => {
    const dataDir = temporaryDirectory();
    directories.push(dataDir);
    const port = await freePort();
    const bootstrap = `127.0.0.1:${port}`;
    const topic = 'truncation-topic';
    const groupId = 'truncation-group';
    let broker = await start(dataDir, port);
    await produceToPartitions(bootstrap, topic, PARTITIONS, 10, 'one-');
    const admin = kafkajs(bootstrap).admin();
    await admin.connect();
    try {
      await admin.setOffsets({
        groupId,
        topic,
        partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, offset: '7' })),
      });
      expect(await committed(bootstrap, groupId, topic)).toEqual(['7', '7', '7']);
      const offsetsTopic = await admin.fetchTopicOffsets('__consumer_offsets');
      expect(offsetsTopic.some((partition) => Number(partition.high) > 0)).toBe(true);
      // Every partition, to the high watermark: the one holding the group's commits among them.
      // kafkajs wraps the refusal, which is not retriable, in a KafkaJSNonRetriableError.
      const refusal = await admin
        .deleteTopicRecords({
          topic: '__consumer_offsets',
          partitions: offsetsTopic.map((partition) => ({ partition: partition.partition, offset: '-1' })),
        })
        .then(
          () => null,
          (error: { cause?: unknown }) =>
            error.cause as { name: string; partitions?: { error: { type: string } }[] } | undefined,
        );
      expect(refusal?.name).toBe('KafkaJSDeleteTopicRecordsError');
      expect(refusal?.partitions).toHaveLength(offsetsTopic.length);
      for (const partition of refusal?.partitions ?? [])
        expect(partition.error.type).toBe('INVALID_TOPIC_EXCEPTION');
      const after = await admin.fetchTopicOffsets('__consumer_offsets');
      expect(after.map((partition) => partition.low)).toEqual(offsetsTopic.map((partition) => partition.low));
    } finally {
      await admin.disconnect();
    }

    broker.child.kill('SIGTERM');
    expect(await broker.exited).toBe(0);
    broker = await start(dataDir, port);
    expect(await committed(bootstrap, groupId, topic)).toEqual(['7', '7', '7']);
  });
});
