import { decodeAssignment, encodeAssignment, encodeSubscription } from '@sluice/coordination';
import { Apis, ErrorCode, type Input, type JoinGroupRequest } from '@sluice/protocol';
import { startedForSuite } from '@sluice/test-support/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kcat, startBroker } from './helpers.js';
import { RawClient } from './raw-client.js';

/**
 * The group APIs on the wire, with requests built by the generated codec: versions, the MEMBER_ID_REQUIRED
 * handshake, static membership, offsets and the admin calls.
 */
describe('group APIs on the wire', () => {
  const sluice = startedForSuite(() =>
    startBroker({
      'num.partitions': '4',
      'group.initial.rebalance.delay.ms': '0',
      'group.min.session.timeout.ms': '1000',
      'offsets.topic.num.partitions': '7',
    }),
  );
  const clients: RawClient[] = [];

  beforeAll(async () => {
    await kcat(sluice.bootstrap, ['-P', '-t', 'wire-topic', '-p', '0'], 'one\n');
  });

  afterAll(async () => {
    for (const client of clients) client.close();
  });

  const connect = async () => {
    const client = await RawClient.connect(sluice.broker.port);
    clients.push(client);
    return client;
  };

  const joinRequest = (
    groupId: string,
    overrides: Partial<Input<JoinGroupRequest>> = {},
  ): Input<JoinGroupRequest> => ({
    groupId,
    sessionTimeoutMs: 5000,
    rebalanceTimeoutMs: 5000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeSubscription(['wire-topic']) }],
    ...overrides,
  });

  /** JoinGroup v5 through the MEMBER_ID_REQUIRED handshake, then SyncGroup v3 (the leader assigns `assigned`). */
  const joinAndSync = async (client: RawClient, groupId: string, assigned: number[]) => {
    const first = await client.request(Apis.JoinGroup, 5, joinRequest(groupId));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const joined = await client.request(
      Apis.JoinGroup,
      5,
      joinRequest(groupId, { memberId: first.memberId }),
    );
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    const synced = await client.request(Apis.SyncGroup, 3, {
      groupId,
      generationId: joined.generationId,
      memberId: joined.memberId,
      groupInstanceId: null,
      assignments: [
        {
          memberId: joined.memberId,
          assignment: encodeAssignment([{ topic: 'wire-topic', partitions: assigned }]),
        },
      ],
    });
    expect(synced.errorCode).toBe(ErrorCode.NONE);
    return { joined, synced };
  };

  it('FindCoordinator v0-v2 names this broker for groups; a transaction coordinator is not available', async () => {
    const client = await connect();
    for (const version of [0, 1, 2]) {
      const found = await client.request(Apis.FindCoordinator, version, { key: 'any-group', keyType: 0 });
      expect(found).toMatchObject({ errorCode: 0, nodeId: 1, host: '127.0.0.1', port: sluice.broker.port });
    }
    const transaction = await client.request(Apis.FindCoordinator, 1, { key: 'tx', keyType: 1 });
    expect(transaction.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const unknown = await client.request(Apis.FindCoordinator, 2, { key: 'x', keyType: 7 });
    expect(unknown.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('lists __consumer_offsets as an internal, compacted topic with offsets.topic.num.partitions partitions', async () => {
    const client = await connect();
    const metadata = await client.request(Apis.Metadata, 4, {
      topics: [{ name: '__consumer_offsets' }],
      allowAutoTopicCreation: false,
    });
    expect(metadata.topics[0]).toMatchObject({ errorCode: 0, name: '__consumer_offsets', isInternal: true });
    expect(metadata.topics[0].partitions).toHaveLength(7);
    expect(sluice.broker.topicConfig('__consumer_offsets').values.get('cleanup.policy')).toEqual(['compact']);
  });

  it('joins with MEMBER_ID_REQUIRED from v4, at once before, and with the session timeout as rebalance timeout at v0', async () => {
    const client = await connect();
    const { joined, synced } = await joinAndSync(client, 'wire-v5', [0, 1]);
    expect(joined.leader).toBe(joined.memberId);
    expect(joined.members).toEqual([
      { memberId: joined.memberId, groupInstanceId: null, metadata: encodeSubscription(['wire-topic']) },
    ]);
    expect(decodeAssignment(synced.assignment)).toEqual([{ topic: 'wire-topic', partitions: [0, 1] }]);
    const v3 = await client.request(Apis.JoinGroup, 3, joinRequest('wire-v3'));
    expect(v3).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });
    expect(v3.memberId).toMatch(/^sluice-test-/);
    const v0 = await client.request(Apis.JoinGroup, 0, joinRequest('wire-v0', { sessionTimeoutMs: 4000 }));
    expect(v0.errorCode).toBe(0);
    expect(sluice.broker.groupCoordinator?.group('wire-v0')?.get(v0.memberId).rebalanceTimeoutMs).toBe(4000);
  });

  it('refuses bad joins: empty group id, session timeout out of range, a protocol no member shares', async () => {
    const client = await connect();
    expect((await client.request(Apis.JoinGroup, 5, joinRequest(''))).errorCode).toBe(
      ErrorCode.INVALID_GROUP_ID,
    );
    expect(
      (await client.request(Apis.JoinGroup, 5, joinRequest('g', { sessionTimeoutMs: 10 }))).errorCode,
    ).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    await joinAndSync(client, 'wire-mixed', [0]);
    const kafkajsStyle = await client.request(
      Apis.JoinGroup,
      5,
      joinRequest('wire-mixed', {
        protocols: [{ name: 'RoundRobinAssigner', metadata: encodeSubscription(['wire-topic']) }],
      }),
    );
    expect(kafkajsStyle.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('answers REBALANCE_IN_PROGRESS to heartbeats while a new member waits, until everyone rejoined', async () => {
    const first = await connect();
    const second = await connect();
    const { joined } = await joinAndSync(first, 'wire-rebalance', [0, 1, 2, 3]);
    const heartbeat = (generationId: number) =>
      first.request(Apis.Heartbeat, 3, {
        groupId: 'wire-rebalance',
        generationId,
        memberId: joined.memberId,
        groupInstanceId: null,
      });
    expect((await heartbeat(joined.generationId)).errorCode).toBe(ErrorCode.NONE);
    const handshake = await second.request(Apis.JoinGroup, 5, joinRequest('wire-rebalance'));
    const waiting = second.request(
      Apis.JoinGroup,
      5,
      joinRequest('wire-rebalance', { memberId: handshake.memberId }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await heartbeat(joined.generationId)).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await first.request(
      Apis.JoinGroup,
      5,
      joinRequest('wire-rebalance', { memberId: joined.memberId }),
    );
    const other = await waiting;
    expect(rejoined.generationId).toBe(joined.generationId + 1);
    expect(other.generationId).toBe(joined.generationId + 1);
    expect(rejoined.members).toHaveLength(2);
    expect(other.members).toEqual([]);
    expect((await heartbeat(joined.generationId)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    const left = await second.request(Apis.LeaveGroup, 1, {
      groupId: 'wire-rebalance',
      memberId: other.memberId,
    });
    expect(left.errorCode).toBe(ErrorCode.NONE);
    const unknown = await second.request(Apis.LeaveGroup, 0, {
      groupId: 'wire-rebalance',
      memberId: 'nobody',
    });
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('gives a static member that comes back on a new connection its assignment without a rebalance', async () => {
    const groupId = 'wire-static';
    const staticJoin = (client: RawClient, instance: string) =>
      client.request(Apis.JoinGroup, 5, joinRequest(groupId, { groupInstanceId: instance }));
    const a = await connect();
    const b = await connect();
    const joinedA = await staticJoin(a, 'instance-a');
    const waitingB = staticJoin(b, 'instance-b');
    // a was alone in generation 1; b's arrival starts generation 2, which a joins again with its id.
    const rejoinedA = await a.request(
      Apis.JoinGroup,
      5,
      joinRequest(groupId, { groupInstanceId: 'instance-a', memberId: joinedA.memberId }),
    );
    const joinedB = await waitingB;
    const leader = rejoinedA.leader === rejoinedA.memberId ? rejoinedA : joinedB;
    const assignmentOf = (memberId: string) =>
      encodeAssignment([
        { topic: 'wire-topic', partitions: memberId === rejoinedA.memberId ? [0, 1] : [2, 3] },
      ]);
    const sync = (client: RawClient, memberId: string, instance: string, generationId: number) =>
      client.request(Apis.SyncGroup, 3, {
        groupId,
        generationId,
        memberId,
        groupInstanceId: instance,
        assignments:
          memberId === leader.memberId
            ? leader.members.map((member) => ({
                memberId: member.memberId,
                assignment: assignmentOf(member.memberId),
              }))
            : [],
      });
    const [syncA, syncB] = await Promise.all([
      sync(a, rejoinedA.memberId, 'instance-a', rejoinedA.generationId),
      sync(b, joinedB.memberId, 'instance-b', joinedB.generationId),
    ]);
    expect(decodeAssignment(syncA.assignment)[0].partitions).toEqual([0, 1]);
    expect(decodeAssignment(syncB.assignment)[0].partitions).toEqual([2, 3]);
    const generation = rejoinedA.generationId;

    // a restarts: a new connection, no member id, the same instance id.
    a.close();
    const restartedClient = await connect();
    const restarted = await staticJoin(restartedClient, 'instance-a');
    expect(restarted.errorCode).toBe(ErrorCode.NONE);
    expect(restarted.generationId).toBe(generation);
    expect(restarted.memberId).not.toBe(rejoinedA.memberId);
    const resynced = await sync(restartedClient, restarted.memberId, 'instance-a', generation);
    expect(decodeAssignment(resynced.assignment)[0].partitions).toEqual([0, 1]);
    const heartbeat = (client: RawClient, memberId: string, instance: string) =>
      client.request(Apis.Heartbeat, 3, {
        groupId,
        generationId: generation,
        memberId,
        groupInstanceId: instance,
      });
    expect((await heartbeat(b, joinedB.memberId, 'instance-b')).errorCode).toBe(ErrorCode.NONE);
    expect((await heartbeat(b, rejoinedA.memberId, 'instance-a')).errorCode).toBe(
      ErrorCode.FENCED_INSTANCE_ID,
    );
    expect(sluice.broker.groupCoordinator?.group(groupId)?.state).toBe('Stable');
  });

  it('commits and fetches offsets at every version, with per-partition errors', async () => {
    const client = await connect();
    const { joined } = await joinAndSync(client, 'wire-offsets', [0, 1, 2, 3]);
    for (const version of [2, 3, 4, 5]) {
      const committed = await client.request(Apis.OffsetCommit, version, {
        groupId: 'wire-offsets',
        generationIdOrMemberEpoch: joined.generationId,
        memberId: joined.memberId,
        retentionTimeMs: -1n,
        topics: [
          {
            name: 'wire-topic',
            partitions: [
              { partitionIndex: 0, committedOffset: BigInt(10 + version), committedMetadata: `v${version}` },
              { partitionIndex: 9, committedOffset: 1n, committedMetadata: null },
            ],
          },
          {
            name: 'no-such-topic',
            partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }],
          },
        ],
      });
      expect(
        committed.topics.map((topic) => topic.partitions.map((partition) => partition.errorCode)),
      ).toEqual([
        [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ]);
    }
    const stale = await client.request(Apis.OffsetCommit, 5, {
      groupId: 'wire-offsets',
      generationIdOrMemberEpoch: joined.generationId + 5,
      memberId: joined.memberId,
      topics: [
        {
          name: 'wire-topic',
          partitions: [{ partitionIndex: 1, committedOffset: 1n, committedMetadata: null }],
        },
      ],
    });
    expect(stale.topics[0].partitions[0].errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    for (const version of [1, 2, 3, 4]) {
      const fetched = await client.request(Apis.OffsetFetch, version, {
        groupId: 'wire-offsets',
        topics: [{ name: 'wire-topic', partitionIndexes: [0, 1] }],
      });
      expect(
        fetched.topics[0].partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata]),
      ).toEqual([
        [0, 15n, 'v5'],
        [1, -1n, ''],
      ]);
    }
    const all = await client.request(Apis.OffsetFetch, 4, { groupId: 'wire-offsets', topics: null });
    expect(all.topics).toEqual([
      {
        name: 'wire-topic',
        partitions: [expect.objectContaining({ partitionIndex: 0, committedOffset: 15n, errorCode: 0 })],
      },
    ]);
    // A consumer outside group management commits with generation -1 to a group of its own.
    const simple = await client.request(Apis.OffsetCommit, 3, {
      groupId: 'wire-simple',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      retentionTimeMs: 60_000n,
      topics: [
        {
          name: 'wire-topic',
          partitions: [{ partitionIndex: 2, committedOffset: 7n, committedMetadata: null }],
        },
      ],
    });
    expect(simple.topics[0].partitions[0].errorCode).toBe(0);
  });

  it('lists, describes and deletes groups, and deletes offsets of topics no member subscribes to', async () => {
    const client = await connect();
    const { joined } = await joinAndSync(client, 'wire-admin', [0, 1, 2, 3]);
    await client.request(Apis.OffsetCommit, 5, {
      groupId: 'wire-admin',
      generationIdOrMemberEpoch: joined.generationId,
      memberId: joined.memberId,
      topics: [
        {
          name: 'wire-topic',
          partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }],
        },
        {
          name: '__consumer_offsets',
          partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }],
        },
      ],
    });
    for (const version of [0, 1, 2]) {
      const listed = await client.request(Apis.ListGroups, version, {});
      expect(listed.errorCode).toBe(0);
      expect(listed.groups).toContainEqual(
        expect.objectContaining({ groupId: 'wire-admin', protocolType: 'consumer' }),
      );
      const described = await client.request(Apis.DescribeGroups, version, {
        groups: ['wire-admin', 'wire-nobody'],
      });
      expect(described.groups[0]).toMatchObject({
        errorCode: 0,
        groupId: 'wire-admin',
        groupState: 'Stable',
        protocolType: 'consumer',
        protocolData: 'range',
      });
      expect(described.groups[0].members[0]).toMatchObject({
        memberId: joined.memberId,
        clientId: 'sluice-test',
        clientHost: '/127.0.0.1',
      });
      expect(decodeAssignment(described.groups[0].members[0].memberAssignment)[0].partitions).toEqual([
        0, 1, 2, 3,
      ]);
      expect(described.groups[1]).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] });
    }
    const offsetDelete = await client.request(Apis.OffsetDelete, 0, {
      groupId: 'wire-admin',
      topics: [
        { name: 'wire-topic', partitions: [{ partitionIndex: 0 }] },
        { name: '__consumer_offsets', partitions: [{ partitionIndex: 0 }] },
        { name: 'no-such-topic', partitions: [{ partitionIndex: 0 }] },
      ],
    });
    expect(offsetDelete.topics.map((topic) => topic.partitions[0].errorCode)).toEqual([
      ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC,
      ErrorCode.NONE,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    const busy = await client.request(Apis.DeleteGroups, 1, { groupsNames: ['wire-admin', 'wire-nobody'] });
    expect(busy.results).toEqual([
      { groupId: 'wire-admin', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'wire-nobody', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    await client.request(Apis.LeaveGroup, 1, { groupId: 'wire-admin', memberId: joined.memberId });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const deleted = await client.request(Apis.DeleteGroups, 0, { groupsNames: ['wire-admin'] });
    expect(deleted.results).toEqual([{ groupId: 'wire-admin', errorCode: 0 }]);
    const gone = await client.request(Apis.OffsetFetch, 2, { groupId: 'wire-admin', topics: null });
    expect(gone.topics).toEqual([]);
    expect(
      (await client.request(Apis.OffsetDelete, 0, { groupId: 'wire-admin', topics: [] })).errorCode,
    ).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });
});
