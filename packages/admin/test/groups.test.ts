import * as sluiceBroker from '@sluice/broker';
import { Apis, KafkaError } from '@sluice/protocol';
import { type InProcessBroker, kcat, kcatUnavailableReason, startSluiceBroker } from '@sluice/test-support';
import { describeWithMockCluster, startedForSuite } from '@sluice/test-support/vitest';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, type GroupOffset } from '../src/index.js';
import { eventually, type GroupMember, startGroupMember } from './kcat-group-member.js';

const logger = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });

/** The group APIs these tests need, served by the broker as built now. */
const servesGroups = [
  Apis.FindCoordinator,
  Apis.DescribeGroups,
  Apis.ListGroups,
  Apis.OffsetCommit,
  Apis.DeleteGroups,
].every((api) => sluiceBroker.brokerHandlers().some((handler) => handler.api.apiKey === api.apiKey));
const sluiceSkipReason =
  kcatUnavailableReason() ?? (servesGroups ? null : 'the Sluice broker does not serve the group APIs yet');
if (sluiceSkipReason !== null)
  console.error(`skipping the group tests against a Sluice broker: ${sluiceSkipReason}`);

function byPartition(offsets: GroupOffset[]): Record<string, number> {
  return Object.fromEntries(offsets.map((entry) => [`${entry.topic}/${entry.partition}`, entry.offset]));
}

function errorName(error: unknown): string {
  expect(KafkaError.isInstance(error)).toBe(true);
  return `${(error as KafkaError).errorName} at ${(error as KafkaError & { location: string }).location}`;
}

describe.skipIf(sluiceSkipReason !== null)(
  'group operations against a Sluice broker, with kcat as the member',
  () => {
    let broker: InProcessBroker<sluiceBroker.Broker>;
    let admin: Admin;
    let member: GroupMember | undefined;
    const topic = 'group-admin';
    const group = 'billing';

    beforeAll(async () => {
      broker = await startSluiceBroker(sluiceBroker);
      admin = new Admin({ bootstrapServers: broker.bootstrap, logger, defaultApiTimeoutMs: 30_000 });
      await admin.createTopics([{ topic, numPartitions: 3 }]);
      const lines = Array.from({ length: 30 }, (_, i) => `k${i}:v${i}`).join('\n');
      await kcat(broker.bootstrap, ['-P', '-t', topic, '-K', ':'], `${lines}\n`);
      member = startGroupMember(broker.bootstrap, group, [topic], 'billing-client');
      await member.waitForValues(30);
      // Committed up to the end of every partition (kcat commits every 100 ms).
      await eventually(async () => {
        const offsets = await admin.fetchOffsets(group);
        return offsets.length === 3 && offsets.reduce((sum, entry) => sum + entry.offset, 0) === 30;
      }, 'kcat committing its offsets');
    });

    afterAll(async () => {
      await member?.stop();
      await admin?.close();
      await broker?.stop();
    });

    it('lists the group as a consumer group', async () => {
      const groups = await admin.listGroups();
      expect(groups).toContainEqual({ groupId: group, protocolType: 'consumer', coordinator: 1 });
    });

    it("describes a stable group: its member, the member's subscription and assignment", async () => {
      const [description] = await admin.describeGroups([group]);
      expect(description).toMatchObject({
        groupId: group,
        state: 'Stable',
        protocolType: 'consumer',
        coordinator: 1,
      });
      expect(['range', 'roundrobin']).toContain(description.protocol);
      expect(description.members).toHaveLength(1);
      const [only] = description.members;
      expect(only.clientId).toBe('billing-client');
      expect(only.memberId).not.toBe('');
      expect(only.subscription).toEqual([topic]);
      expect(only.assignment).toEqual([{ topic, partitions: [0, 1, 2] }]);
    });

    it('fetches the committed offsets, of all topics or of named ones', async () => {
      const offsets = await admin.fetchOffsets(group);
      const ends = await admin.listOffsets(
        [0, 1, 2].map((partition) => ({ topic, partition, spec: 'latest' as const })),
      );
      expect(
        offsets.map(({ topic: name, partition, offset }) => ({ topic: name, partition, offset })),
      ).toEqual(ends.map(({ partition, offset }) => ({ topic, partition, offset })));
      expect(await admin.fetchOffsets(group, { topics: [topic] })).toEqual(offsets);
      expect(await admin.fetchOffsets(group, { topics: ['no-such-topic'] })).toEqual([]);
    });

    it('refuses to reset the offsets of, or delete, a group that has members', async () => {
      const before = await admin.fetchOffsets(group);
      const reset = await admin.resetOffsets(group, { to: 'earliest' }).catch((error: unknown) => error);
      expect(errorName(reset)).toBe(`NON_EMPTY_GROUP at groups/${group}`);
      expect((reset as Error).message).toContain('stop its consumers first');
      const deleted = await admin.deleteGroups([group]).catch((error: unknown) => error);
      expect(errorName(deleted)).toBe(`NON_EMPTY_GROUP at groups/${group}`);
      expect(await admin.fetchOffsets(group)).toEqual(before);
    });

    describe('once the member has left', () => {
      let ends: Record<string, number>;

      beforeAll(async () => {
        await member?.stop();
        member = undefined;
        await eventually(
          async () => (await admin.describeGroups([group]))[0].state === 'Empty',
          'the group becoming Empty',
        );
        ends = byPartition(await admin.fetchOffsets(group));
      });

      it('shows the group Empty with no members', async () => {
        const [description] = await admin.describeGroups([group]);
        expect(description.members).toEqual([]);
      });

      it('computes a reset in a dry run without changing anything', async () => {
        const plan = await admin.resetOffsets(group, { to: 'earliest', dryRun: true });
        expect(plan).toEqual(
          [0, 1, 2].map((partition) => ({
            topic,
            partition,
            previousOffset: ends[`${topic}/${partition}`],
            offset: 0,
          })),
        );
        expect(byPartition(await admin.fetchOffsets(group))).toEqual(ends);
      });

      it('resets to earliest, shifts by N within the log, and to an offset clamped to the log', async () => {
        await admin.resetOffsets(group, { to: 'earliest' });
        expect(Object.values(byPartition(await admin.fetchOffsets(group)))).toEqual([0, 0, 0]);

        const shifted = await admin.resetOffsets(group, { to: { shiftBy: 3 } });
        expect(shifted.map((entry) => entry.offset)).toEqual(
          [0, 1, 2].map((partition) => Math.min(3, ends[`${topic}/${partition}`])),
        );
        const back = await admin.resetOffsets(group, { to: { shiftBy: -100 } });
        expect(back.map((entry) => entry.offset)).toEqual([0, 0, 0]);

        const clamped = await admin.resetOffsets(group, {
          topics: [{ topic, partitions: [1] }],
          to: { offset: 1_000_000 },
        });
        expect(clamped).toEqual([{ topic, partition: 1, previousOffset: 0, offset: ends[`${topic}/1`] }]);
        expect(byPartition(await admin.fetchOffsets(group))[`${topic}/1`]).toBe(ends[`${topic}/1`]);
      });

      it('resets to latest, and to the first record at or after a time', async () => {
        await admin.resetOffsets(group, { topics: [{ topic }], to: 'latest' });
        expect(byPartition(await admin.fetchOffsets(group))).toEqual(ends);
        const plan = await admin.resetOffsets(group, { topics: [{ topic }], to: { timestamp: 0 } });
        expect(plan.map((entry) => entry.offset)).toEqual([0, 0, 0]);
        const future = await admin.resetOffsets(group, {
          topics: [{ topic }],
          to: { timestamp: Date.now() + 3_600_000 },
        });
        expect(future.map((entry) => entry.offset)).toEqual(
          [0, 1, 2].map((partition) => ends[`${topic}/${partition}`]),
        );
      });

      it("commits offsets for a group that does not exist yet, and deletes one partition's offset", async () => {
        const plan = await admin.resetOffsets('fresh', {
          topics: [{ topic, partitions: [0, 2] }],
          to: 'earliest',
        });
        expect(plan).toEqual([
          { topic, partition: 0, previousOffset: null, offset: 0 },
          { topic, partition: 2, previousOffset: null, offset: 0 },
        ]);
        await admin.deleteOffsets('fresh', [{ topic, partition: 0 }]);
        expect((await admin.fetchOffsets('fresh')).map((entry) => entry.partition)).toEqual([2]);
      });

      it('deletes the group, after which it is Dead and no longer listed', async () => {
        await admin.deleteGroups([group]);
        const [description] = await admin.describeGroups([group]);
        expect(description.state).toBe('Dead');
        expect((await admin.listGroups()).map((listing) => listing.groupId)).not.toContain(group);
        expect(await admin.fetchOffsets(group)).toEqual([]);
      });
    });
  },
);

describeWithMockCluster("group offsets on librdkafka's mock cluster", { lifetimeSeconds: 120 }, (mock) => {
  const admin = startedForSuite(
    () => new Admin({ bootstrapServers: mock.bootstrap, logger, defaultApiTimeoutMs: 30_000 }),
    { stop: (started) => started.close() },
  );

  it("finds the group's coordinator among three brokers and fetches what kcat committed", async () => {
    await kcat(mock.bootstrap, ['-P', '-t', 't', '-p', '1'], 'a\nb\nc\n');
    const member = startGroupMember(mock.bootstrap, 'mock-group', ['t']);
    try {
      await member.waitForValues(3);
      // The mock cluster answers an OffsetFetch for all topics (null) with a null list: name the topic.
      await eventually(async () => {
        const offsets = await admin.fetchOffsets('mock-group', { topics: ['t'] });
        return offsets.some((entry) => entry.partition === 1 && entry.offset === 3);
      }, 'kcat committing offset 3 of partition 1');
    } finally {
      await member.stop();
    }
    expect(await admin.fetchOffsets('mock-group', { topics: ['t'] })).toContainEqual(
      expect.objectContaining({ topic: 't', partition: 1, offset: 3 }),
    );
  });

  it('says which API is missing when the broker does not serve DescribeGroups', async () => {
    const error = await admin.describeGroups(['mock-group']).catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('UnsupportedVersionError');
    expect((error as Error).message).toContain('DescribeGroups');
  });
});
