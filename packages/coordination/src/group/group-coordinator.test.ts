import { ErrorCode, KafkaError } from '@sluice/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAssignment, encodeAssignment } from './consumer-protocol.js';
import type { JoinGroupInput, OffsetCommitInput } from './group-coordinator.js';
import type { JoinGroupResult } from './group-member.js';
import {
  consumerProtocols,
  type Harness,
  hasSettled,
  joinInput,
  START_WALL_MS,
  settle,
  startHarness,
  until,
} from './group-test-support.js';

const settled = <T>(promise: Promise<T>) => until(harness, promise);

let harness: Harness;

afterEach(() => {
  harness?.coordinator.shutdown();
});

/** A Heartbeat to group "group" from `memberId` of `generationId` (with `groupInstanceId` for a static member). */
function sendHeartbeat(memberId: string, generationId: number, groupInstanceId: string | null = null) {
  return harness.coordinator.heartbeat({ groupId: 'group', generationId, memberId, groupInstanceId });
}

/**
 * An OffsetCommit to group "group" from `memberId` of `generationId` (-1 and '' for a commit from outside
 * group management), kept `retentionTimeMs` (-1: the broker's retention).
 */
function commitGroupOffsets(
  generationId: number,
  memberId: string,
  offsets: OffsetCommitInput['offsets'],
  retentionTimeMs = -1,
) {
  return harness.coordinator.commitOffsets({
    groupId: 'group',
    generationId,
    memberId,
    groupInstanceId: null,
    retentionTimeMs,
    offsets,
  });
}

/**
 * JoinGroup through the MEMBER_ID_REQUIRED handshake. Resolves once the member is in the join round, with
 * `result` settling when the round answers (wrapped: an async function would wait for the round itself).
 */
async function join(overrides: Partial<JoinGroupInput> = {}): Promise<{ result: Promise<JoinGroupResult> }> {
  const input = joinInput(overrides);
  if (input.memberId !== '' || input.groupInstanceId !== null || !input.requireKnownMemberId) {
    return { result: harness.coordinator.joinGroup(input) };
  }
  const first = await harness.coordinator.joinGroup(input);
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  return { result: harness.coordinator.joinGroup({ ...input, memberId: first.memberId }) };
}

/** Brings `count` dynamic members into a Stable group with the leader assigning `partitions` round-robin. */
async function stableGroup(count: number, partitions = 4, groupId = 'group') {
  const pending: Promise<JoinGroupResult>[] = [];
  for (let i = 0; i < count; i++) pending.push((await join({ groupId, clientId: `client-${i}` })).result);
  const joined = await settled(Promise.all(pending));
  const leader = joined.find((result) => result.memberId === result.leaderId)!;
  const ids = leader.members.map((member) => member.memberId);
  const assignments = ids.map((memberId, index) => ({
    memberId,
    assignment: encodeAssignment([
      { topic: 'orders', partitions: [...Array(partitions).keys()].filter((p) => p % ids.length === index) },
    ]),
  }));
  const synced = await Promise.all(
    joined.map((result) =>
      harness.coordinator.syncGroup({
        groupId,
        generationId: result.generationId,
        memberId: result.memberId,
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: result.memberId === leader.memberId ? assignments : [],
      }),
    ),
  );
  for (const result of synced) expect(result.errorCode).toBe(ErrorCode.NONE);
  return { joined, synced, leader, generationId: leader.generationId };
}

describe('GroupCoordinator membership', () => {
  it('hands a new member an id with MEMBER_ID_REQUIRED and admits it when it joins again with that id', async () => {
    harness = await startHarness();
    const first = await harness.coordinator.joinGroup(joinInput());
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^client-/);
    const second = await settled(harness.coordinator.joinGroup(joinInput({ memberId: first.memberId })));
    expect(second).toMatchObject({
      errorCode: ErrorCode.NONE,
      generationId: 1,
      memberId: first.memberId,
      leaderId: first.memberId,
      protocolName: 'range',
    });
    expect(second.members.map((member) => member.memberId)).toEqual([first.memberId]);
  });

  it('admits a member at once when the client does not require a known member id (JoinGroup before v4)', async () => {
    harness = await startHarness();
    const result = await settled(harness.coordinator.joinGroup(joinInput({ requireKnownMemberId: false })));
    expect(result.errorCode).toBe(ErrorCode.NONE);
    expect(result.generationId).toBe(1);
  });

  it('gives the member list to the leader only, and every member the same generation', async () => {
    harness = await startHarness();
    const { joined, leader } = await stableGroup(3);
    expect(new Set(joined.map((result) => result.generationId))).toEqual(new Set([1]));
    expect(leader.members).toHaveLength(3);
    for (const follower of joined.filter((result) => result !== leader)) expect(follower.members).toEqual([]);
    expect(new Set(joined.map((result) => result.leaderId))).toEqual(new Set([leader.memberId]));
  });

  it('selects the protocol most members prefer among those every member supports', async () => {
    harness = await startHarness();
    const a = (await join({ protocols: consumerProtocols(['t'], ['roundrobin', 'range', 'sticky']) })).result;
    const b = (await join({ protocols: consumerProtocols(['t'], ['range', 'roundrobin']) })).result;
    const c = (await join({ protocols: consumerProtocols(['t'], ['roundrobin', 'range']) })).result;
    const results = await settled(Promise.all([a, b, c]));
    expect(results.map((result) => result.protocolName)).toEqual(['roundrobin', 'roundrobin', 'roundrobin']);
  });

  it('refuses a member sharing no protocol with the group with INCONSISTENT_GROUP_PROTOCOL', async () => {
    harness = await startHarness();
    await stableGroup(1);
    const kafkajsLike = await harness.coordinator.joinGroup(
      joinInput({ protocols: consumerProtocols(['orders'], ['RoundRobinAssigner']) }),
    );
    expect(kafkajsLike.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const otherType = await harness.coordinator.joinGroup(joinInput({ protocolType: 'connect' }));
    expect(otherType.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(harness.coordinator.group('group')?.state).toBe('Stable');
    expect(harness.coordinator.group('group')?.memberCount).toBe(1);
  });

  it('distributes the leader assignment in SyncGroup and becomes Stable', async () => {
    harness = await startHarness();
    const { synced } = await stableGroup(2, 4);
    const owned = synced.map((result) => decodeAssignment(result.assignment)[0].partitions);
    expect(owned.flat().sort()).toEqual([0, 1, 2, 3]);
    expect(harness.coordinator.group('group')?.state).toBe('Stable');
    // The assignment is stored with the group before anyone gets it.
    const stored = harness.storage.allRecords().filter((record) => record.type === 'group-metadata');
    expect(stored.at(-1)?.value?.members.map((member) => member.assignment.length > 0)).toEqual([true, true]);
  });

  it('answers followers in SyncGroup only once the leader has sent the assignment', async () => {
    harness = await startHarness();
    const a = (await join({ clientId: 'a' })).result;
    const b = (await join({ clientId: 'b' })).result;
    const [first, second] = await settled(Promise.all([a, b]));
    const follower = first.memberId === first.leaderId ? second : first;
    const leader = first.memberId === first.leaderId ? first : second;
    const waiting = harness.coordinator.syncGroup({
      groupId: 'group',
      generationId: follower.generationId,
      memberId: follower.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [],
    });
    expect(await hasSettled(waiting)).toBe(false);
    const assignment = encodeAssignment([{ topic: 'orders', partitions: [1] }]);
    await harness.coordinator.syncGroup({
      groupId: 'group',
      generationId: leader.generationId,
      memberId: leader.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId: follower.memberId, assignment }],
    });
    expect((await waiting).assignment).toEqual(assignment);
  });

  it('refuses a SyncGroup of another generation with ILLEGAL_GENERATION and an unknown member with UNKNOWN_MEMBER_ID', async () => {
    harness = await startHarness();
    const joined = await settled((await join()).result);
    const sync = (generationId: number, memberId: string) =>
      harness.coordinator.syncGroup({
        groupId: 'group',
        generationId,
        memberId,
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [],
      });
    expect((await sync(joined.generationId - 1, joined.memberId)).errorCode).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
    expect((await sync(joined.generationId, 'stranger')).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(
      (
        await harness.coordinator.syncGroup({
          groupId: 'group',
          generationId: joined.generationId,
          memberId: joined.memberId,
          groupInstanceId: null,
          protocolType: 'consumer',
          protocolName: 'roundrobin',
          assignments: [],
        })
      ).errorCode,
    ).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(harness.coordinator.group('group')?.state).toBe('CompletingRebalance');
  });

  it('removes members that do not send SyncGroup within the rebalance timeout, and rebalances', async () => {
    harness = await startHarness();
    const a = (await join({ clientId: 'a' })).result;
    const b = (await join({ clientId: 'b' })).result;
    const [first, second] = await settled(Promise.all([a, b]));
    const leader = first.memberId === first.leaderId ? first : second;
    const follower = leader === first ? second : first;
    // The follower syncs; the leader never does (it crashed after its JoinGroup answer).
    const waiting = harness.coordinator.syncGroup({
      groupId: 'group',
      generationId: follower.generationId,
      memberId: follower.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    await harness.clock.advance(10_000);
    expect((await waiting).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const group = harness.coordinator.group('group')!;
    expect(group.has(leader.memberId)).toBe(false);
    expect(group.state).toBe('PreparingRebalance');
  });

  it('sends every member back to JoinGroup when the assignment cannot be stored', async () => {
    harness = await startHarness();
    const joined = await settled((await join()).result);
    harness.storage.beforeAppend = () => {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    };
    const result = await harness.coordinator.syncGroup({
      groupId: 'group',
      generationId: joined.generationId,
      memberId: joined.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [
        { memberId: joined.memberId, assignment: encodeAssignment([{ topic: 'orders', partitions: [0] }]) },
      ],
    });
    expect(result.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(result.assignment.length).toBe(0);
    expect(harness.coordinator.group('group')?.state).toBe('PreparingRebalance');
  });

  it('answers heartbeats with REBALANCE_IN_PROGRESS while a rebalance is prepared, then ILLEGAL_GENERATION', async () => {
    harness = await startHarness();
    const { joined, generationId } = await stableGroup(1);
    const member = joined[0];
    const heartbeat = (generation: number) => sendHeartbeat(member.memberId, generation);
    expect(heartbeat(generationId)).toBe(ErrorCode.NONE);
    const newcomer = (await join({ clientId: 'newcomer' })).result;
    expect(harness.coordinator.group('group')?.state).toBe('PreparingRebalance');
    expect(heartbeat(generationId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = harness.coordinator.joinGroup(joinInput({ memberId: member.memberId }));
    const [again, other] = await Promise.all([rejoined, newcomer]);
    expect(again.generationId).toBe(generationId + 1);
    expect(other.generationId).toBe(generationId + 1);
    expect(heartbeat(generationId)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(heartbeat(generationId + 1)).toBe(ErrorCode.NONE);
    expect(sendHeartbeat('nobody', 2)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('removes a member whose heartbeats stop for session.timeout.ms and rebalances the others', async () => {
    harness = await startHarness();
    const { joined, generationId } = await stableGroup(2);
    const [alive, silent] = joined;
    for (let elapsedMs = 0; elapsedMs < 5_000; elapsedMs += 1_000) {
      await harness.clock.advance(1_000);
      expect(sendHeartbeat(alive.memberId, generationId)).toBe(ErrorCode.NONE);
    }
    expect(harness.coordinator.group('group')?.has(silent.memberId)).toBe(true);
    await harness.clock.advance(1_500);
    const group = harness.coordinator.group('group')!;
    expect(group.has(silent.memberId)).toBe(false);
    expect(group.state).toBe('PreparingRebalance');
    const rejoined = await harness.coordinator.joinGroup(joinInput({ memberId: alive.memberId }));
    expect(rejoined).toMatchObject({ errorCode: ErrorCode.NONE, generationId: generationId + 1 });
    expect(rejoined.members.map((member) => member.memberId)).toEqual([alive.memberId]);
  });

  it('closes a join round after rebalance.timeout.ms without the members that did not rejoin', async () => {
    harness = await startHarness();
    const { joined } = await stableGroup(3);
    const [first, second, third] = joined;
    const leaving = await harness.coordinator.leaveGroup({
      groupId: 'group',
      members: [{ memberId: first.memberId, groupInstanceId: null }],
    });
    expect(leaving.members[0].errorCode).toBe(ErrorCode.NONE);
    const rejoined = harness.coordinator.joinGroup(joinInput({ memberId: second.memberId }));
    expect(await hasSettled(rejoined)).toBe(false);
    // The third keeps heartbeating (REBALANCE_IN_PROGRESS) but never rejoins.
    await harness.clock.advance(5_000);
    sendHeartbeat(third.memberId, 1);
    await harness.clock.advance(5_000);
    const result = await rejoined;
    expect(result.errorCode).toBe(ErrorCode.NONE);
    expect(result.members.map((member) => member.memberId)).toEqual([second.memberId]);
    expect(harness.coordinator.group('group')?.has(third.memberId)).toBe(false);
  });

  it('waits group.initial.rebalance.delay.ms for more members before the first generation of a new group', async () => {
    harness = await startHarness({ groupInitialRebalanceDelayMs: 3_000 });
    const a = (await join({ clientId: 'a' })).result;
    await harness.clock.advance(2_000);
    expect(await hasSettled(a)).toBe(false);
    const b = (await join({ clientId: 'b' })).result;
    // b arrived during the delay: the round waits one more delay.
    await harness.clock.advance(1_500);
    expect(await hasSettled(a)).toBe(false);
    await harness.clock.advance(3_000);
    const [first, second] = await Promise.all([a, b]);
    expect(first.generationId).toBe(1);
    expect(second.generationId).toBe(1);
    expect(first.leaderId === first.memberId ? first.members : second.members).toHaveLength(2);
  });

  it('keeps the rest of the group and rebalances when a member leaves', async () => {
    harness = await startHarness();
    const { joined, leader } = await stableGroup(2);
    const follower = joined.find((result) => result !== leader)!;
    await harness.coordinator.leaveGroup({
      groupId: 'group',
      members: [{ memberId: leader.memberId, groupInstanceId: null }],
    });
    const group = harness.coordinator.group('group')!;
    expect(group.leaderId).toBe(follower.memberId);
    const rejoined = await harness.coordinator.joinGroup(joinInput({ memberId: follower.memberId }));
    expect(rejoined.leaderId).toBe(follower.memberId);
    expect(rejoined.generationId).toBe(2);
    const unknown = await harness.coordinator.leaveGroup({
      groupId: 'group',
      members: [{ memberId: leader.memberId, groupInstanceId: null }],
    });
    expect(unknown.members[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('empties the group when its last member leaves, and stores that', async () => {
    harness = await startHarness();
    const { joined } = await stableGroup(1);
    await harness.coordinator.leaveGroup({
      groupId: 'group',
      members: [{ memberId: joined[0].memberId, groupInstanceId: null }],
    });
    await settle();
    const group = harness.coordinator.group('group')!;
    expect(group.state).toBe('Empty');
    expect(group.generationId).toBe(2);
    const last = harness.storage.allRecords().at(-1);
    expect(last).toMatchObject({ type: 'group-metadata', value: { generationId: 2, members: [] } });
  });

  it('refuses session timeouts outside the broker range and members beyond group.max.size', async () => {
    harness = await startHarness({ groupMaxSize: 2 });
    expect((await harness.coordinator.joinGroup(joinInput({ sessionTimeoutMs: 500 }))).errorCode).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    expect((await harness.coordinator.joinGroup(joinInput({ sessionTimeoutMs: 120_000 }))).errorCode).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    await stableGroup(2);
    expect((await harness.coordinator.joinGroup(joinInput())).errorCode).toBe(
      ErrorCode.GROUP_MAX_SIZE_REACHED,
    );
    expect((await harness.coordinator.joinGroup(joinInput({ groupId: '' }))).errorCode).toBe(
      ErrorCode.INVALID_GROUP_ID,
    );
  });

  it('answers waiting JoinGroup and SyncGroup requests with NOT_COORDINATOR at shutdown', async () => {
    harness = await startHarness({ groupInitialRebalanceDelayMs: 3_000 });
    const waiting = (await join()).result;
    harness.coordinator.shutdown();
    expect((await waiting).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await harness.coordinator.joinGroup(joinInput())).errorCode).toBe(
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
    );
  });
});

describe('GroupCoordinator static membership', () => {
  async function staticStableGroup() {
    const a = harness.coordinator.joinGroup(joinInput({ groupInstanceId: 'instance-a', clientId: 'a' }));
    const b = harness.coordinator.joinGroup(joinInput({ groupInstanceId: 'instance-b', clientId: 'b' }));
    const joined = await settled(Promise.all([a, b]));
    const leader = joined.find((result) => result.memberId === result.leaderId)!;
    const assignments = leader.members.map((member, index) => ({
      memberId: member.memberId,
      assignment: encodeAssignment([{ topic: 'orders', partitions: [index * 2, index * 2 + 1] }]),
    }));
    const synced = await Promise.all(
      joined.map((result, index) =>
        harness.coordinator.syncGroup({
          groupId: 'group',
          generationId: result.generationId,
          memberId: result.memberId,
          groupInstanceId: index === 0 ? 'instance-a' : 'instance-b',
          protocolType: null,
          protocolName: null,
          assignments: result === leader ? assignments : [],
        }),
      ),
    );
    return { joined, synced, leader };
  }

  it('gives a static member that restarts within its session its partitions back without a rebalance', async () => {
    harness = await startHarness();
    const { joined, synced } = await staticStableGroup();
    const [a, b] = joined;
    const group = harness.coordinator.group('group')!;
    const generationBefore = group.generationId;
    await harness.clock.advance(3_000);
    const restarted = await harness.coordinator.joinGroup(
      joinInput({ groupInstanceId: 'instance-a', clientId: 'a' }),
    );
    expect(restarted.errorCode).toBe(ErrorCode.NONE);
    expect(restarted.memberId).not.toBe(a.memberId);
    expect(restarted.generationId).toBe(generationBefore);
    // It is told the previous leader, so that it does not compute an assignment nobody would use.
    expect(restarted.leaderId).toBe(a.leaderId);
    expect(group.state).toBe('Stable');
    expect(group.generationId).toBe(generationBefore);
    const resynced = await harness.coordinator.syncGroup({
      groupId: 'group',
      generationId: restarted.generationId,
      memberId: restarted.memberId,
      groupInstanceId: 'instance-a',
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    expect(resynced.assignment).toEqual(synced[0].assignment);
    // The other member saw nothing.
    expect(sendHeartbeat(b.memberId, generationBefore, 'instance-b')).toBe(ErrorCode.NONE);
    // The old incarnation is fenced.
    expect(sendHeartbeat(a.memberId, generationBefore, 'instance-a')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    // And the new member id is stored, so that it survives a restart of the coordinator.
    const last = harness.storage.allRecords().at(-1);
    expect(last?.type === 'group-metadata' && last.value?.members.map((member) => member.memberId)).toContain(
      restarted.memberId,
    );
  });

  it('removes a static member whose session expires, and then rebalances', async () => {
    harness = await startHarness();
    const { joined } = await staticStableGroup();
    const [a, b] = joined;
    for (let i = 0; i < 7; i++) {
      await harness.clock.advance(1_000);
      sendHeartbeat(b.memberId, 1, 'instance-b');
    }
    const group = harness.coordinator.group('group')!;
    expect(group.has(a.memberId)).toBe(false);
    expect(group.state).toBe('PreparingRebalance');
  });

  it('does not require a known member id from static members', async () => {
    harness = await startHarness();
    const result = await settled(harness.coordinator.joinGroup(joinInput({ groupInstanceId: 'solo' })));
    expect(result.errorCode).toBe(ErrorCode.NONE);
    expect(result.memberId).toMatch(/^solo-/);
  });
});

describe('GroupCoordinator offsets', () => {
  const commit = (overrides: Partial<Parameters<Harness['coordinator']['commitOffsets']>[0]> = {}) =>
    harness.coordinator.commitOffsets({
      groupId: 'group',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      offsets: [{ topic: 'orders', partition: 0, offset: 42n, leaderEpoch: 3, metadata: 'm' }],
      ...overrides,
    });

  it('stores simple commits (generation -1) from consumers outside group management', async () => {
    harness = await startHarness();
    expect((await commit())[0].errorCode).toBe(ErrorCode.NONE);
    const fetched = harness.coordinator.fetchOffsets('group', [
      { topic: 'orders', partition: 0 },
      { topic: 'orders', partition: 1 },
    ]);
    expect(fetched.offsets).toEqual([
      { topic: 'orders', partition: 0, offset: 42n, leaderEpoch: 3, metadata: 'm', errorCode: 0 },
      { topic: 'orders', partition: 1, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: 0 },
    ]);
    expect(harness.coordinator.listGroups().groups).toEqual([
      { groupId: 'group', protocolType: '', state: 'Empty' },
    ]);
  });

  it('checks member and generation on commits from group members', async () => {
    harness = await startHarness();
    const { joined, generationId } = await stableGroup(1);
    const memberId = joined[0].memberId;
    expect((await commit({ generationId, memberId }))[0].errorCode).toBe(ErrorCode.NONE);
    expect((await commit({ generationId: generationId + 1, memberId }))[0].errorCode).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
    expect((await commit({ generationId, memberId: 'someone-else' }))[0].errorCode).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    expect((await commit())[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await commit({ groupId: 'no-such-group', generationId: 3, memberId }))[0].errorCode).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
  });

  it('accepts commits of the current generation while preparing a rebalance, not while completing one', async () => {
    harness = await startHarness();
    const { joined, generationId } = await stableGroup(1);
    const memberId = joined[0].memberId;
    const newcomer = (await join({ clientId: 'newcomer' })).result;
    expect((await commit({ generationId, memberId }))[0].errorCode).toBe(ErrorCode.NONE);
    const rejoined = harness.coordinator.joinGroup(joinInput({ memberId }));
    const [result] = await Promise.all([rejoined, newcomer]);
    expect(harness.coordinator.group('group')?.state).toBe('CompletingRebalance');
    expect((await commit({ generationId: result.generationId, memberId }))[0].errorCode).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
  });

  it('returns every committed offset for a null partition list', async () => {
    harness = await startHarness();
    await commit({
      offsets: [
        { topic: 'a', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null },
        { topic: 'b', partition: 2, offset: 5n, leaderEpoch: -1, metadata: null },
      ],
    });
    const all = harness.coordinator.fetchOffsets('group', null).offsets;
    expect(all.map(({ topic, partition, offset }) => [topic, partition, offset])).toEqual([
      ['a', 0, 1n],
      ['b', 2, 5n],
    ]);
    expect(harness.coordinator.fetchOffsets('unknown-group', null).offsets).toEqual([]);
  });

  it('refuses metadata over offset.metadata.max.bytes for that partition only', async () => {
    harness = await startHarness();
    const results = await commit({
      offsets: [
        { topic: 'orders', partition: 0, offset: 1n, leaderEpoch: -1, metadata: 'x'.repeat(5000) },
        { topic: 'orders', partition: 1, offset: 2n, leaderEpoch: -1, metadata: 'fine' },
      ],
    });
    expect(results.map((result) => result.errorCode)).toEqual([
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
      ErrorCode.NONE,
    ]);
  });

  it('tells the committer when the offsets topic refuses the write, and keeps the previous offset', async () => {
    harness = await startHarness();
    await commit();
    harness.storage.beforeAppend = () => {
      throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS);
    };
    const results = await commit({
      offsets: [{ topic: 'orders', partition: 0, offset: 99n, leaderEpoch: -1, metadata: null }],
    });
    expect(results[0].errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(
      harness.coordinator.fetchOffsets('group', [{ topic: 'orders', partition: 0 }]).offsets[0].offset,
    ).toBe(42n);
  });

  it('keeps groups and offsets across a restart, and members that come back keep their generation', async () => {
    harness = await startHarness();
    const { joined, generationId, synced } = await stableGroup(2);
    await commit({ generationId, memberId: joined[0].memberId });
    await commit({
      groupId: 'simple',
      offsets: [{ topic: 'logs', partition: 3, offset: 7n, leaderEpoch: -1, metadata: null }],
    });
    await harness.restart();
    const group = harness.coordinator.group('group')!;
    expect(group.state).toBe('Stable');
    expect(group.generationId).toBe(generationId);
    expect(
      harness.coordinator.fetchOffsets('group', [{ topic: 'orders', partition: 0 }]).offsets[0].offset,
    ).toBe(42n);
    expect(harness.coordinator.fetchOffsets('simple', null).offsets[0].offset).toBe(7n);
    for (const member of joined) {
      expect(sendHeartbeat(member.memberId, generationId)).toBe(ErrorCode.NONE);
    }
    const resynced = await harness.coordinator.syncGroup({
      groupId: 'group',
      generationId,
      memberId: joined[1].memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    expect(resynced.assignment).toEqual(synced[1].assignment);
  });

  it('removes members loaded after a restart that never come back', async () => {
    harness = await startHarness();
    await stableGroup(2);
    await harness.restart();
    await harness.clock.advance(7_000);
    const group = harness.coordinator.group('group')!;
    expect(group.memberCount).toBe(0);
    expect(group.state).toBe('Empty');
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS while the offsets topic partition of the group is loading', async () => {
    harness = await startHarness();
    await commit();
    let release: () => void = () => undefined;
    const loadGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const load = harness.storage.load.bind(harness.storage);
    harness.storage.load = async (partition, onRecord) => {
      await loadGate;
      return load(partition, onRecord);
    };
    const restarting = harness.restart();
    await settle();
    expect(harness.coordinator.fetchOffsets('group', null).errorCode).toBe(
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    );
    expect((await harness.coordinator.joinGroup(joinInput())).errorCode).toBe(
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    );
    expect(harness.coordinator.listGroups().errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    release();
    await restarting;
    expect(harness.coordinator.fetchOffsets('group', null).offsets[0].offset).toBe(42n);
  });
});

describe('GroupCoordinator offset retention', () => {
  it('expires the offsets of an Empty group offsets.retention.minutes after it became empty, then the group', async () => {
    harness = await startHarness({ offsetsRetentionMs: 60_000 });
    const { joined, generationId } = await stableGroup(1);
    await commitGroupOffsets(generationId, joined[0].memberId, [
      { topic: 'orders', partition: 0, offset: 10n, leaderEpoch: -1, metadata: null },
    ]);
    // Active for longer than the retention: nothing expires while the group is in use.
    for (let i = 0; i < 60; i++) {
      await harness.clock.advance(2_000);
      sendHeartbeat(joined[0].memberId, generationId);
    }
    expect(await harness.coordinator.expireOffsets()).toBe(0);
    await harness.coordinator.leaveGroup({
      groupId: 'group',
      members: [{ memberId: joined[0].memberId, groupInstanceId: null }],
    });
    await harness.clock.advance(59_000);
    expect(await harness.coordinator.expireOffsets()).toBe(0);
    await harness.clock.advance(2_000);
    expect(await harness.coordinator.expireOffsets()).toBe(1);
    expect(harness.coordinator.group('group')).toBeUndefined();
    const tail = harness.storage.allRecords().slice(-2);
    expect(tail).toEqual([
      { type: 'offset-commit', groupId: 'group', topic: 'orders', partition: 0, value: null },
      { type: 'group-metadata', groupId: 'group', value: null },
    ]);
    await harness.restart();
    expect(harness.coordinator.group('group')).toBeUndefined();
  });

  it('expires offsets of topics a Stable consumer group no longer subscribes to, keeping subscribed ones', async () => {
    harness = await startHarness({ offsetsRetentionMs: 60_000 });
    const { joined, generationId } = await stableGroup(1);
    await commitGroupOffsets(generationId, joined[0].memberId, [
      { topic: 'orders', partition: 0, offset: 10n, leaderEpoch: -1, metadata: null },
      { topic: 'old-topic', partition: 0, offset: 3n, leaderEpoch: -1, metadata: null },
    ]);
    for (let i = 0; i < 31; i++) {
      await harness.clock.advance(2_000);
      sendHeartbeat(joined[0].memberId, generationId);
    }
    expect(await harness.coordinator.expireOffsets()).toBe(1);
    expect(harness.coordinator.fetchOffsets('group', null).offsets.map((offset) => offset.topic)).toEqual([
      'orders',
    ]);
  });

  it('expires an offset committed with an explicit retention time at that time', async () => {
    harness = await startHarness({ offsetsRetentionMs: 3_600_000 });
    await commitGroupOffsets(
      -1,
      '',
      [{ topic: 'orders', partition: 0, offset: 10n, leaderEpoch: -1, metadata: null }],
      5_000,
    );
    const stored = harness.storage.allRecords()[0];
    expect(stored.type === 'offset-commit' && stored.value?.expireTimestampMs).toBe(START_WALL_MS + 5_000);
    await harness.clock.advance(5_000);
    expect(await harness.coordinator.expireOffsets()).toBe(1);
  });

  it('runs expiry every offsets.retention.check.interval.ms on its own', async () => {
    harness = await startHarness({ offsetsRetentionMs: 1_000, offsetsRetentionCheckIntervalMs: 10_000 });
    await commitGroupOffsets(-1, '', [
      { topic: 'orders', partition: 0, offset: 10n, leaderEpoch: -1, metadata: null },
    ]);
    await harness.clock.advance(9_000);
    expect(harness.coordinator.group('group')).toBeDefined();
    await harness.clock.advance(1_000);
    await settle();
    expect(harness.coordinator.group('group')).toBeUndefined();
  });
});

describe('GroupCoordinator admin requests', () => {
  it('lists and describes groups; a group it does not know is Dead', async () => {
    harness = await startHarness();
    const { leader } = await stableGroup(2);
    expect(harness.coordinator.listGroups()).toEqual({
      errorCode: 0,
      groups: [{ groupId: 'group', protocolType: 'consumer', state: 'Stable' }],
    });
    const described = harness.coordinator.describeGroup('group');
    expect(described).toMatchObject({
      errorCode: 0,
      state: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
    });
    expect(described.members.map((member) => member.clientId).sort()).toEqual(['client-0', 'client-1']);
    expect(described.members.every((member) => member.assignment.length > 0)).toBe(true);
    expect(described.members.some((member) => member.memberId === leader.memberId)).toBe(true);
    expect(harness.coordinator.describeGroup('nobody')).toMatchObject({
      errorCode: 0,
      state: 'Dead',
      members: [],
    });
  });

  it('deletes only Empty groups, with tombstones for their offsets and metadata', async () => {
    harness = await startHarness();
    await stableGroup(1, 4, 'busy');
    await harness.coordinator.commitOffsets({
      groupId: 'idle',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      offsets: [{ topic: 'orders', partition: 1, offset: 5n, leaderEpoch: -1, metadata: null }],
    });
    const results = await harness.coordinator.deleteGroups(['busy', 'idle', 'missing']);
    expect(results).toEqual([
      { groupId: 'busy', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'idle', errorCode: ErrorCode.NONE },
      { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    expect(harness.coordinator.group('idle')).toBeUndefined();
    await harness.restart();
    expect(harness.coordinator.group('idle')).toBeUndefined();
    expect(harness.coordinator.fetchOffsets('idle', null).offsets).toEqual([]);
    expect(harness.coordinator.group('busy')?.state).toBe('Stable');
  });

  it('refuses to delete offsets of a topic the group is subscribed to, and deletes the others', async () => {
    harness = await startHarness();
    const { joined, generationId } = await stableGroup(1);
    await commitGroupOffsets(generationId, joined[0].memberId, [
      { topic: 'orders', partition: 0, offset: 10n, leaderEpoch: -1, metadata: null },
      { topic: 'archive', partition: 0, offset: 3n, leaderEpoch: -1, metadata: null },
    ]);
    const result = await harness.coordinator.deleteOffsets('group', [
      { topic: 'orders', partition: 0 },
      { topic: 'archive', partition: 0 },
    ]);
    expect(result).toEqual({
      errorCode: 0,
      partitions: [
        { topic: 'orders', partition: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC },
        { topic: 'archive', partition: 0, errorCode: ErrorCode.NONE },
      ],
    });
    expect(harness.coordinator.fetchOffsets('group', null).offsets.map((offset) => offset.topic)).toEqual([
      'orders',
    ]);
    expect((await harness.coordinator.deleteOffsets('missing', [])).errorCode).toBe(
      ErrorCode.GROUP_ID_NOT_FOUND,
    );
  });
});
