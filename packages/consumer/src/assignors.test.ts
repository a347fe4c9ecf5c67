import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GroupMember, PartitionAssignor } from './assignor.js';
import { rebalanceProtocolOf } from './assignor-registry.js';
import type { TopicPartitions } from './consumer-protocol.js';
import { cooperativeStickyAssignor, decodeStickyUserData } from './cooperative-sticky-assignor.js';
import { rangeAssignor } from './range-assignor.js';
import { kafkajsRoundRobinAssignor, roundRobinAssignor } from './round-robin-assignor.js';

function member(
  memberId: string,
  topics: string[],
  owned: TopicPartitions[] = [],
  generationId = -1,
  groupInstanceId: string | null = null,
): GroupMember {
  return {
    memberId,
    groupInstanceId,
    subscription: { version: 2, topics, userData: null, ownedPartitions: owned, generationId, rackId: null },
  };
}

/** "topic-partition" strings per member, for readable expectations. */
function flat(result: Map<string, TopicPartitions[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [memberId, list] of result) {
    out[memberId] = list.flatMap(({ topic, partitions }) =>
      partitions.map((partition) => `${topic}-${partition}`),
    );
  }
  return out;
}

const counts = (entries: [string, number][]) => new Map(entries);

describe('range', () => {
  it("gives each member a contiguous range of every topic, as Kafka's documentation shows", () => {
    const result = rangeAssignor.assign({
      members: [member('C1', ['t0', 't1']), member('C0', ['t0', 't1'])],
      partitionCounts: counts([
        ['t0', 3],
        ['t1', 3],
      ]),
    });
    expect(flat(result)).toEqual({ C1: ['t0-2', 't1-2'], C0: ['t0-0', 't0-1', 't1-0', 't1-1'] });
  });

  it('orders static members by instance id, ahead of dynamic ones', () => {
    const result = rangeAssignor.assign({
      members: [
        member('a', ['t']),
        member('b', ['t'], [], -1, 'z-instance'),
        member('c', ['t'], [], -1, 'y-instance'),
      ],
      partitionCounts: counts([['t', 3]]),
    });
    expect(flat(result)).toEqual({ a: ['t-2'], b: ['t-1'], c: ['t-0'] });
  });
});

describe('roundrobin', () => {
  it("deals the partitions of all topics in turn, as Kafka's documentation shows", () => {
    const result = roundRobinAssignor.assign({
      members: [member('C0', ['t0', 't1']), member('C1', ['t0', 't1'])],
      partitionCounts: counts([
        ['t0', 3],
        ['t1', 3],
      ]),
    });
    expect(flat(result)).toEqual({ C0: ['t0-0', 't0-2', 't1-1'], C1: ['t0-1', 't1-0', 't1-2'] });
  });

  it('skips members not subscribed to a topic', () => {
    const result = roundRobinAssignor.assign({
      members: [member('C0', ['t0']), member('C1', ['t0', 't1']), member('C2', ['t0', 't1', 't2'])],
      partitionCounts: counts([
        ['t0', 1],
        ['t1', 2],
        ['t2', 3],
      ]),
    });
    expect(flat(result)).toEqual({ C0: ['t0-0'], C1: ['t1-0'], C2: ['t1-1', 't2-0', 't2-1', 't2-2'] });
  });

  it("also answers to kafkajs's name for it, RoundRobinAssigner", () => {
    expect(kafkajsRoundRobinAssignor.name).toBe('RoundRobinAssigner');
    const input = {
      members: [member('m1', ['t']), member('m0', ['t'])],
      partitionCounts: counts([['t', 5]]),
    };
    expect(kafkajsRoundRobinAssignor.assign(input)).toEqual(roundRobinAssignor.assign(input));
  });
});

const groupArbitrary = fc
  .record({
    topicCounts: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 4 }),
    memberTopics: fc.array(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), {
      minLength: 1,
      maxLength: 9,
    }),
    homogeneous: fc.boolean(),
  })
  .map(({ topicCounts, memberTopics, homogeneous }) => {
    const topics = topicCounts.map((_, i) => `topic-${i}`);
    const members = memberTopics.map((flags, i) =>
      member(`member-${i}`, homogeneous ? topics : topics.filter((_, t) => flags[t])),
    );
    return {
      homogeneous,
      members,
      partitionCounts: new Map(topics.map((topic, i) => [topic, topicCounts[i]])),
    };
  });

function checkValid(
  assignor: PartitionAssignor,
  input: { members: GroupMember[]; partitionCounts: Map<string, number> },
): Map<string, TopicPartitions[]> {
  const result = assignor.assign(input);
  const owners = new Map<string, string>();
  for (const [memberId, list] of result) {
    const subscribed = input.members.find((m) => m.memberId === memberId)!.subscription.topics;
    for (const { topic, partitions } of list) {
      expect(subscribed).toContain(topic);
      for (const partition of partitions) {
        const key = `${topic}-${partition}`;
        expect(owners.has(key)).toBe(false);
        owners.set(key, memberId);
      }
    }
  }
  // Every partition of a topic somebody subscribes to has exactly one owner.
  for (const [topic, count] of input.partitionCounts) {
    const wanted = input.members.some((m) => m.subscription.topics.includes(topic));
    for (let partition = 0; partition < count; partition++) {
      expect(owners.has(`${topic}-${partition}`)).toBe(wanted);
    }
  }
  expect([...result.keys()].sort()).toEqual(input.members.map((m) => m.memberId).sort());
  return result;
}

function loads(result: Map<string, TopicPartitions[]>): number[] {
  return [...result.values()].map((list) => list.reduce((sum, { partitions }) => sum + partitions.length, 0));
}

describe('every assignor', () => {
  for (const assignor of [rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor]) {
    it(`${assignor.name}: gives every subscribed partition exactly one subscribed owner`, () => {
      fc.assert(fc.property(groupArbitrary, (input) => void checkValid(assignor, input)));
    });
  }

  for (const assignor of [roundRobinAssignor, cooperativeStickyAssignor]) {
    it(`${assignor.name}: balances members with the same subscription within one partition`, () => {
      fc.assert(
        fc.property(groupArbitrary, (input) => {
          fc.pre(input.homogeneous);
          const perMember = loads(checkValid(assignor, input));
          expect(Math.max(...perMember) - Math.min(...perMember)).toBeLessThanOrEqual(1);
        }),
      );
    });
  }

  it('makes a consumer cooperative only when every assignor it offers is', () => {
    expect(rebalanceProtocolOf([cooperativeStickyAssignor])).toBe('cooperative');
    expect(rebalanceProtocolOf([rangeAssignor, cooperativeStickyAssignor])).toBe('eager');
    expect(rebalanceProtocolOf([roundRobinAssignor])).toBe('eager');
  });
});

describe('cooperative-sticky', () => {
  it('leaves every member what it owns when nothing forces a move', () => {
    const result = cooperativeStickyAssignor.assign({
      members: [
        member('a', ['t'], [{ topic: 't', partitions: [5, 1, 3] }], 4),
        member('b', ['t'], [{ topic: 't', partitions: [0, 2, 4] }], 4),
      ],
      partitionCounts: counts([['t', 6]]),
    });
    expect(flat(result)).toEqual({ a: ['t-1', 't-3', 't-5'], b: ['t-0', 't-2', 't-4'] });
  });

  it('moves partitions to a new member in two rounds, never giving one to two members at once', () => {
    const owned = { a: [0, 1, 2], b: [3, 4, 5] };
    // Round 1: the new member c gets nothing that a or b still own.
    const first = cooperativeStickyAssignor.assign({
      members: [
        member('a', ['t'], [{ topic: 't', partitions: owned.a }], 7),
        member('b', ['t'], [{ topic: 't', partitions: owned.b }], 7),
        member('c', ['t']),
      ],
      partitionCounts: counts([['t', 6]]),
    });
    const round1 = flat(first);
    expect(round1.c).toEqual([]);
    const given = [...round1.a, ...round1.b];
    expect(given.length).toBe(4);
    // a and b gave one partition each up; round 2 hands those to c.
    const second = cooperativeStickyAssignor.assign({
      members: [
        member('a', ['t'], first.get('a'), 8),
        member('b', ['t'], first.get('b'), 8),
        member('c', ['t'], [], 8),
      ],
      partitionCounts: counts([['t', 6]]),
    });
    const round2 = flat(second);
    expect(round2.a).toEqual(round1.a);
    expect(round2.b).toEqual(round1.b);
    expect(round2.c.length).toBe(2);
  });

  it('keeps the later generation when two members claim a partition, and drops a tie', () => {
    const result = cooperativeStickyAssignor.assign({
      members: [
        member('stale', ['t'], [{ topic: 't', partitions: [0, 1] }], 3),
        member('fresh', ['t'], [{ topic: 't', partitions: [0] }], 4),
      ],
      partitionCounts: counts([['t', 2]]),
    });
    // 0 stays with the later generation; stale keeps 1.
    expect(flat(result)).toEqual({ stale: ['t-1'], fresh: ['t-0'] });
  });

  it('converges, round after round, to a balanced assignment with no partition owned twice', () => {
    fc.assert(
      fc.property(groupArbitrary, fc.integer({ min: 0, max: 8 }), (input, joiners) => {
        // Start from a valid assignment, then add members (or remove some) and run cooperative rounds.
        let previous = cooperativeStickyAssignor.assign(input);
        const topics = [...input.partitionCounts.keys()];
        const members = [
          ...input.members.slice(0, Math.max(1, input.members.length - (joiners % 3))),
          ...Array.from({ length: joiners }, (_, i) =>
            member(`joiner-${i}`, input.homogeneous ? topics : topics.slice(0, 1 + (i % topics.length))),
          ),
        ];
        let generation = 1;
        for (let round = 0; round < 4; round++) {
          const withOwned = members.map((m) =>
            member(m.memberId, [...m.subscription.topics], previous.get(m.memberId) ?? [], generation),
          );
          const next = cooperativeStickyAssignor.assign({
            members: withOwned,
            partitionCounts: input.partitionCounts,
          });
          // No partition moves directly from one live owner to another within a round.
          for (const [memberId, list] of next) {
            for (const { topic, partitions } of list) {
              for (const partition of partitions) {
                for (const [otherId, otherList] of previous) {
                  if (otherId === memberId || !members.some((m) => m.memberId === otherId)) continue;
                  const had = otherList.some(
                    (entry) => entry.topic === topic && entry.partitions.includes(partition),
                  );
                  expect(had).toBe(false);
                }
              }
            }
          }
          previous = next;
          generation++;
        }
        const final = checkValid(cooperativeStickyAssignor, {
          members: members.map((m) =>
            member(m.memberId, [...m.subscription.topics], previous.get(m.memberId) ?? [], generation),
          ),
          partitionCounts: input.partitionCounts,
        });
        if (input.homogeneous) {
          const perMember = loads(final);
          expect(Math.max(...perMember) - Math.min(...perMember)).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('writes and reads sticky user data in the format librdkafka and Kafka share', () => {
    const userData = cooperativeStickyAssignor.userData([{ topic: 't', partitions: [2, 7] }], 11);
    expect(decodeStickyUserData(userData)).toEqual({
      previous: [{ topic: 't', partitions: [2, 7] }],
      generationId: 11,
    });
    // Kafka's CooperativeStickyAssignor writes the generation alone.
    expect(decodeStickyUserData(Buffer.from([0, 0, 0, 5]))).toEqual({ previous: [], generationId: 5 });
    expect(decodeStickyUserData(Buffer.from([1, 2, 3]))).toBeNull();
  });
});
