import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Broker } from '../src/broker.js';
import {
  KafkajsMember,
  KcatMember,
  missingRecords,
  produceToPartitions,
  readOffsetCommits,
  readsBelowCommittedOffsets,
  waitFor,
} from './group-clients.js';
import { removeDirectory, startBroker, temporaryDirectory } from './helpers.js';
import { kafkajs } from './kafkajs-client.js';

const PARTITIONS = 4;

describe('consumer groups with kafkajs', () => {
  let dataDir: string;
  let broker: Broker;
  let bootstrap: string;
  const members: (KafkajsMember | KcatMember)[] = [];

  beforeAll(async () => {
    dataDir = temporaryDirectory();
    broker = await startBroker(dataDir, {
      'num.partitions': String(PARTITIONS),
      'group.initial.rebalance.delay.ms': '300',
      'group.min.session.timeout.ms': '1000',
      'offsets.topic.num.partitions': '10',
    });
    bootstrap = `127.0.0.1:${broker.port}`;
  });

  afterEach(async () => {
    await Promise.all(members.splice(0).map((member) => member.stop('SIGKILL')));
  });

  afterAll(async () => {
    await broker.shutdown();
    removeDirectory(dataDir);
  });

  const kafkajsMember = (groupId: string, topic: string) => {
    const started = new KafkajsMember({ bootstrap, groupId, topic, sessionTimeoutMs: 3000 });
    members.push(started);
    return started;
  };

  const stableWith = (groupId: string, count: number) => {
    const group = broker.groupCoordinator?.group(groupId);
    return group?.state === 'Stable' && group.memberCount === count;
  };

  it('shares a topic among consumer.run members and moves a killed member’s partitions to the survivor', async () => {
    const topic = 'kafkajs-group';
    const groupId = 'kafkajs-group-id';
    await produceToPartitions(bootstrap, topic, PARTITIONS, 25, 'first-');
    const a = kafkajsMember(groupId, topic);
    const b = kafkajsMember(groupId, topic);
    await waitFor(
      () =>
        stableWith(groupId, 2) &&
        a.assignment.length === 2 &&
        b.assignment.length === 2 &&
        new Set([...a.assignment, ...b.assignment]).size === PARTITIONS,
      'two kafkajs members with two partitions each',
      60_000,
    );
    expect(broker.groupCoordinator?.group(groupId)?.protocolName).toBe('RoundRobinAssigner');
    await waitFor(
      () => missingRecords([a, b], new Array(PARTITIONS).fill(25)).length === 0,
      'the first records',
    );
    await waitFor(
      () =>
        broker.groupCoordinator!.fetchOffsets(groupId, null).offsets.filter((entry) => entry.offset === 25n)
          .length === PARTITIONS,
      'the first records committed',
    );

    const killedAtMs = Date.now();
    await a.stop('SIGKILL');
    await produceToPartitions(bootstrap, topic, PARTITIONS, 25, 'second-');
    await waitFor(() => b.assignment.length === PARTITIONS, 'the survivor owning every partition', 30_000);
    await waitFor(() => missingRecords([a, b], new Array(PARTITIONS).fill(50)).length === 0, 'every record');
    // Everything committed before the kill stays done: the survivor reads on from the committed offsets.
    expect(
      b.records.filter((record) => record.receivedAtMs > killedAtMs && record.value.startsWith('first-')),
    ).toEqual([]);
    const commits = await readOffsetCommits(bootstrap, groupId);
    expect(readsBelowCommittedOffsets([a, b], commits, topic)).toEqual([]);
  });

  it('lists, describes and deletes groups and their offsets through the kafkajs admin client', async () => {
    const topic = 'kafkajs-admin';
    const groupId = 'kafkajs-admin-group';
    await produceToPartitions(bootstrap, topic, PARTITIONS, 3);
    const member = kafkajsMember(groupId, topic);
    await waitFor(
      () => stableWith(groupId, 1) && member.records.length === 12,
      'one member with every record',
    );
    await waitFor(
      () => broker.groupCoordinator!.fetchOffsets(groupId, null).offsets.length === PARTITIONS,
      'offsets committed',
    );
    const admin = kafkajs(bootstrap).admin();
    await admin.connect();
    try {
      const listed = await admin.listGroups();
      expect(listed.groups).toContainEqual({ groupId, protocolType: 'consumer' });
      const described = await admin.describeGroups([groupId]);
      expect(described.groups[0]).toMatchObject({
        groupId,
        state: 'Stable',
        protocolType: 'consumer',
        protocol: 'RoundRobinAssigner',
      });
      expect(described.groups[0].members).toHaveLength(1);
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(offsets[0].partitions.map((entry) => entry.offset).sort()).toEqual(['3', '3', '3', '3']);
      await expect(admin.deleteGroups([groupId])).rejects.toThrow();
      await member.stop('SIGTERM');
      await waitFor(() => broker.groupCoordinator?.group(groupId)?.state === 'Empty', 'the group empty');
      expect((await admin.describeGroups([groupId])).groups[0].state).toBe('Empty');
      expect(await admin.deleteGroups([groupId])).toEqual([{ groupId, errorCode: 0 }]);
      expect((await admin.describeGroups([groupId])).groups[0].state).toBe('Dead');
      const after = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(after[0].partitions.map((entry) => entry.offset)).toEqual(['-1', '-1', '-1', '-1']);
    } finally {
      await admin.disconnect();
    }
  });

  it('refuses a kafkajs member in a group of kcat members: INCONSISTENT_GROUP_PROTOCOL', async () => {
    const topic = 'mixed-protocols';
    const groupId = 'mixed-protocols-group';
    await produceToPartitions(bootstrap, topic, PARTITIONS, 1);
    const librdkafka = new KcatMember({ bootstrap, groupId, topics: [topic] });
    members.push(librdkafka);
    await waitFor(
      () => stableWith(groupId, 1) && librdkafka.assignment.length === PARTITIONS,
      'the kcat member',
    );
    const generation = broker.groupCoordinator!.group(groupId)!.generationId;
    const refused = kafkajsMember(groupId, topic);
    await waitFor(
      () => refused.events.some((event) => event.event === 'crash'),
      'the kafkajs member to fail',
      30_000,
    );
    expect(refused.events.find((event) => event.event === 'crash')).toMatchObject({
      type: 'INCONSISTENT_GROUP_PROTOCOL',
    });
    const group = broker.groupCoordinator!.group(groupId)!;
    expect(group.memberCount).toBe(1);
    expect(group.generationId).toBe(generation);
    expect(refused.records).toEqual([]);
  });
});
