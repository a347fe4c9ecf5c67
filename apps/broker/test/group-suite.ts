import type { FetchedOffset } from '@sluice/coordination';
import type { InProcessBroker } from '@sluice/test-support';
import { startedForSuite } from '@sluice/test-support/vitest';
import { afterEach } from 'vitest';
import type { Broker } from '../src/broker.js';
import {
  type MemberProcess,
  produceToPartitions,
  readOffsetCommits,
  type StoredCommit,
} from './group-clients.js';
import { startBroker } from './helpers.js';

export interface GroupSuite {
  /** The broker under test, in this process, started for the suite. */
  readonly sluice: InProcessBroker<Broker>;
  /** Keeps `member` to be killed (SIGKILL: no leave, no commit) after the current test; returns it. */
  tracked<Member extends MemberProcess>(member: Member): Member;
  /** Whether the coordinator holds `groupId` Stable with `count` members. */
  stableWith(groupId: string, count: number): boolean;
  /** Produces `count` records to each partition of `topic` with kcat: `<prefix>p<partition>-<index>`. */
  produce(topic: string, count: number, prefix?: string): Promise<void>;
  /** The offsets `groupId` has committed, as the coordinator holds them. */
  committedOffsets(groupId: string): readonly FetchedOffset[];
  /** Every offset commit of `groupId` stored in __consumer_offsets, in order. */
  storedCommits(groupId: string): Promise<StoredCommit[]>;
}

/**
 * What a describe block of consumer-group tests shares: a broker with `partitions` per topic, a 300 ms
 * initial rebalance delay, 1 s minimum sessions and 10 offsets-topic partitions; and the members each test
 * starts, killed after it.
 */
export function groupSuite(partitions: number): GroupSuite {
  const sluice = startedForSuite(() =>
    startBroker({
      'num.partitions': String(partitions),
      'group.initial.rebalance.delay.ms': '300',
      'group.min.session.timeout.ms': '1000',
      'offsets.topic.num.partitions': '10',
    }),
  );
  const members: MemberProcess[] = [];
  afterEach(async () => {
    await Promise.all(members.splice(0).map((member) => member.stop('SIGKILL')));
  });
  return {
    sluice,
    tracked(member) {
      members.push(member);
      return member;
    },
    stableWith(groupId, count) {
      const group = sluice.broker.groupCoordinator?.group(groupId);
      return group?.state === 'Stable' && group.memberCount === count;
    },
    produce: (topic, count, prefix = '') =>
      produceToPartitions(sluice.bootstrap, topic, partitions, count, prefix),
    committedOffsets: (groupId) => sluice.broker.groupCoordinator!.fetchOffsets(groupId, null).offsets,
    storedCommits: (groupId) => readOffsetCommits(sluice.bootstrap, groupId),
  };
}
