import { describe, expect, it } from 'vitest';
import {
  KcatMember,
  type KcatMemberOptions,
  missingRecords,
  readsBelowCommittedOffsets,
  waitFor,
} from './group-clients.js';
import { groupSuite } from './group-suite.js';
import { kcat } from './helpers.js';

const PARTITIONS = 6;

describe('consumer groups with kcat -G (librdkafka)', () => {
  const { sluice, stableWith, produce, committedOffsets, storedCommits, ...suite } = groupSuite(PARTITIONS);
  const member = (options: Omit<KcatMemberOptions, 'bootstrap'>) =>
    suite.tracked(new KcatMember({ bootstrap: sluice.bootstrap, ...options }));

  const endOffsets = async (topic: string): Promise<number[]> => {
    const ends: number[] = [];
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const output = (await kcat(sluice.bootstrap, ['-Q', '-t', `${topic}:${partition}:-1`])).toString();
      ends.push(Number(/offset (\d+)/.exec(output)?.[1]));
    }
    return ends;
  };

  for (const [strategy, expected] of [
    [
      'range',
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
    ],
    [
      'roundrobin',
      [
        [0, 3],
        [1, 4],
        [2, 5],
      ],
    ],
  ] as const) {
    it(`shares a topic among three members with the ${strategy} assignor, each record to its partition's owner`, async () => {
      const topic = `kcat-${strategy}`;
      const groupId = `kcat-${strategy}-group`;
      await produce(topic, 50, 'before-');
      const group = Array.from({ length: 3 }, () =>
        member({ groupId, topics: [topic], properties: { 'partition.assignment.strategy': strategy } }),
      );
      await waitFor(
        () =>
          stableWith(groupId, 3) &&
          group.every((each) => each.assignment.length === 2) &&
          new Set(group.flatMap((each) => each.assignment)).size === PARTITIONS,
        'three members with two partitions each',
      );
      expect(group.map((each) => each.assignment).sort((a, b) => a[0] - b[0])).toEqual(expected);
      expect(sluice.broker.groupCoordinator?.group(groupId)?.protocolName).toBe(strategy);

      // Records produced now go to the owner of their partition, and only to it.
      await produce(topic, 50, 'after-');
      await waitFor(
        () =>
          group.reduce(
            (sum, each) => sum + each.records.filter((r) => r.value.startsWith('after-')).length,
            0,
          ) >= 300,
        'the second 300 records',
      );
      for (const each of group) {
        const partitions = new Set(
          each.records.filter((r) => r.value.startsWith('after-')).map((r) => r.partition),
        );
        expect([...partitions].sort()).toEqual(each.assignment);
      }
      const ends = await endOffsets(topic);
      expect(ends).toEqual(new Array(PARTITIONS).fill(100));
      expect(missingRecords(group, ends)).toEqual([]);
    });
  }

  it('loses nothing and never goes back before a committed offset while members join, leave and are killed', async () => {
    const topic = 'kcat-churn';
    const groupId = 'kcat-churn-group';
    await produce(topic, 20, 'seed-');
    const first = member({ groupId, topics: [topic] });
    const second = member({ groupId, topics: [topic] });
    await waitFor(() => stableWith(groupId, 2), 'two members');

    let producing = false;
    let round = 0;
    let producer: Promise<void> = Promise.resolve();
    const startProducing = () => {
      producing = true;
      producer = (async () => {
        while (producing) {
          await produce(topic, 10, `round-${round++}-`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
    };
    const stopProducing = async () => {
      producing = false;
      await producer;
    };
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    startProducing();
    await pause(1_000);
    const third = member({ groupId, topics: [topic] });
    await waitFor(() => stableWith(groupId, 3), 'the third member in');
    await pause(800);
    await first.stop('SIGKILL');
    // The killed member's session (3 s) runs out and the others rebalance without it.
    await waitFor(() => stableWith(groupId, 2), 'the killed member gone', 20_000);
    const fourth = member({ groupId, topics: [topic] });
    await waitFor(() => stableWith(groupId, 3), 'the fourth member in');
    await pause(800);
    // kcat stores a record's offset when it polls it, before printing it: a SIGTERM in between would commit a
    // record it never printed (the client's at-most-once window, not the broker's). So the graceful leave
    // happens once the members have caught up, and production resumes right after.
    await stopProducing();
    const caughtUp = await endOffsets(topic);
    await waitFor(
      () => missingRecords([first, second, third, fourth], caughtUp).length === 0,
      'the members caught up',
    );
    await second.stop('SIGTERM');
    startProducing();
    await waitFor(() => stableWith(groupId, 2), 'the second member left');
    await pause(800);
    await stopProducing();

    const ends = await endOffsets(topic);
    const everyone = [first, second, third, fourth];
    await waitFor(() => missingRecords(everyone, ends).length === 0, 'every record processed', 30_000).catch(
      (error: Error) => {
        const missing = missingRecords(everyone, ends);
        const group = sluice.broker.groupCoordinator?.group(groupId);
        throw new Error(
          `${error.message}: ${missing.length} missing, first ${JSON.stringify(missing.slice(0, 5))}; ends ${ends}; ` +
            `group ${group?.state} generation ${group?.generationId} members ${group?.memberCount}; ` +
            `assignments ${JSON.stringify(everyone.map((each) => each.assignment))}; committed ${JSON.stringify(
              sluice.broker.groupCoordinator
                ?.fetchOffsets(groupId, null)
                .offsets.map((o) => [o.partition, Number(o.offset)]),
            )}`,
        );
      },
    );
    expect(round).toBeGreaterThan(5);
    expect(missingRecords(everyone, ends)).toEqual([]);
    // Records may be processed twice only after a member was killed before committing them; never before
    // an offset the group had committed.
    await pause(500);
    const commits = await storedCommits(groupId);
    expect(commits.length).toBeGreaterThan(PARTITIONS);
    expect(readsBelowCommittedOffsets(everyone, commits, topic)).toEqual([]);
    // The survivors committed everything they processed.
    await Promise.all([third.stop('SIGTERM'), fourth.stop('SIGTERM')]);
    const fetched = committedOffsets(groupId);
    expect(fetched.map((entry) => Number(entry.offset)).sort()).toEqual([...ends].sort());
  });

  it('gives a restarted static member (group.instance.id) its partitions back without a rebalance', async () => {
    const topic = 'kcat-static';
    const groupId = 'kcat-static-group';
    await produce(topic, 5);
    const properties = (instance: string) => ({
      'group.instance.id': instance,
      'session.timeout.ms': '10000',
    });
    const a = member({ groupId, topics: [topic], properties: properties('static-a') });
    const b = member({ groupId, topics: [topic], properties: properties('static-b') });
    await waitFor(
      () => stableWith(groupId, 2) && a.assignment.length === 3 && b.assignment.length === 3,
      'two static members with three partitions each',
    );
    const generation = sluice.broker.groupCoordinator!.group(groupId)!.generationId;
    const before = a.assignment;
    await waitFor(
      () => committedOffsets(groupId).filter((entry) => entry.offset === 5n).length === PARTITIONS,
      'everything read so far committed',
    );
    const announcementsOfB = b.assignments.length;
    await a.stop('SIGKILL');
    const restarted = member({ groupId, topics: [topic], properties: properties('static-a') });
    await waitFor(() => restarted.assignment.length > 0, 'the restarted member assigned');
    expect(restarted.assignment).toEqual(before);
    const group = sluice.broker.groupCoordinator!.group(groupId)!;
    expect(group.generationId).toBe(generation);
    expect(group.state).toBe('Stable');
    // The restarted member reads on from what the first incarnation committed.
    await produce(topic, 5, 'later-');
    await waitFor(
      () => restarted.records.filter((r) => r.value.startsWith('later-')).length === 15,
      'new records',
    );
    expect(restarted.records.every((record) => record.value.startsWith('later-'))).toBe(true);
    // The other member saw no rebalance.
    expect(b.assignments.length).toBe(announcementsOfB);
    expect(group.generationId).toBe(generation);
  });
});
