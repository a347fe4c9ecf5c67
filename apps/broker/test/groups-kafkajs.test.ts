import { describe, expect, it } from 'vitest';
import {
  KafkajsMember,
  KcatMember,
  missingRecords,
  readsBelowCommittedOffsets,
  waitFor,
} from './group-clients.js';
import { groupSuite } from './group-suite.js';
import { kafkajs } from './kafkajs-client.js';

const PARTITIONS = 4;

describe('consumer groups with kafkajs', () => {
  const { sluice, stableWith, tracked, produce, committedOffsets, storedCommits } = groupSuite(PARTITIONS);
  const kafkajsMember = (groupId: string, topic: string) =>
    tracked(new KafkajsMember({ bootstrap: sluice.bootstrap, groupId, topic, sessionTimeoutMs: 3000 }));

  it('shares a topic among consumer.run members and moves a killed member’s partitions to the survivor', async () => {
    const topic = 'kafkajs-group';
    const groupId = 'kafkajs-group-id';
    await produce(topic, 25, 'first-');
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
    expect(sluice.broker.groupCoordinator?.group(groupId)?.protocolName).toBe('RoundRobinAssigner');
    await waitFor(
      () => missingRecords([a, b], new Array(PARTITIONS).fill(25)).length === 0,
      'the first records',
    );
    await waitFor(
      () => committedOffsets(groupId).filter((entry) => entry.offset === 25n).length === PARTITIONS,
      'the first records committed',
    );

    const killedAtMs = Date.now();
    await a.stop('SIGKILL');
    await produce(topic, 25, 'second-');
    await waitFor(() => b.assignment.length === PARTITIONS, 'the survivor owning every partition', 30_000);
    await waitFor(() => missingRecords([a, b], new Array(PARTITIONS).fill(50)).length === 0, 'every record');
    // Everything committed before the kill stays done: the survivor reads on from the committed offsets.
    expect(
      b.records.filter((record) => record.receivedAtMs > killedAtMs && record.value.startsWith('first-')),
    ).toEqual([]);
    const commits = await storedCommits(groupId);
    expect(readsBelowCommittedOffsets([a, b], commits, topic)).toEqual([]);
  });

  it('lists, describes and deletes groups and their offsets through the kafkajs admin client', async () => {
    const topic = 'kafkajs-admin';
    const groupId = 'kafkajs-admin-group';
    await produce(topic, 3);
    const member = kafkajsMember(groupId, topic);
    await waitFor(
      () => stableWith(groupId, 1) && member.records.length === 12,
      'one member with every record',
    );
    await waitFor(() => committedOffsets(groupId).length === PARTITIONS, 'offsets committed');
    const admin = kafkajs(sluice.bootstrap).admin();
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
      await waitFor(
        () => sluice.broker.groupCoordinator?.group(groupId)?.state === 'Empty',
        'the group empty',
      );
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
    await produce(topic, 1);
    const librdkafka = tracked(new KcatMember({ bootstrap: sluice.bootstrap, groupId, topics: [topic] }));
    await waitFor(
      () => stableWith(groupId, 1) && librdkafka.assignment.length === PARTITIONS,
      'the kcat member',
    );
    const generation = sluice.broker.groupCoordinator!.group(groupId)!.generationId;
    const refused = kafkajsMember(groupId, topic);
    await waitFor(
      () => refused.events.some((event) => event.event === 'crash'),
      'the kafkajs member to fail',
      30_000,
    );
    expect(refused.events.find((event) => event.event === 'crash')).toMatchObject({
      type: 'INCONSISTENT_GROUP_PROTOCOL',
    });
    const group = sluice.broker.groupCoordinator!.group(groupId)!;
    expect(group.memberCount).toBe(1);
    expect(group.generationId).toBe(generation);
    expect(refused.records).toEqual([]);
  });
});
