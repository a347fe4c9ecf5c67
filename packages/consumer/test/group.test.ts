import { afterAll, expect, it } from 'vitest';
import {
  CommitFailedError,
  Consumer,
  type ConsumerRecord,
  deserializers,
  ErrorCode,
  KafkaError,
} from '../src/index.js';
import { InProcessMember, type Processed, processedCounts } from './support/group-member.js';
import { describeEachTarget, eventually, produceValues, testLogger } from './support/group-targets.js';

/**
 * Slow suite: consumer groups in subscribe mode, members in this process, against a Sluice broker and
 * librdkafka's mock cluster.
 */

describeEachTarget('consumer groups', (target, targetName) => {
  const members: InProcessMember[] = [];
  const consumers: Consumer<unknown, unknown>[] = [];

  afterAll(async () => {
    await Promise.allSettled(members.map((member) => member.stop()));
    await Promise.allSettled(consumers.map((consumer) => consumer.close()));
  });

  function member(
    name: string,
    groupId: string,
    topics: readonly string[] | RegExp,
    sink: Processed[],
    settings: ConstructorParameters<typeof InProcessMember>[4] = {},
  ): InProcessMember {
    const created = new InProcessMember(name, target.bootstrap, topics, sink, { groupId, ...settings });
    members.push(created);
    return created;
  }

  function consumer(
    options: Partial<ConstructorParameters<typeof Consumer<string, string>>[0]>,
  ): Consumer<string, string> {
    const created = new Consumer<string, string>({
      bootstrapServers: target.bootstrap,
      keyDeserializer: deserializers.string,
      valueDeserializer: deserializers.string,
      autoOffsetReset: 'earliest',
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 300,
      fetchMaxWaitMs: 100,
      logger: testLogger,
      ...options,
    });
    consumers.push(created as Consumer<unknown, unknown>);
    return created;
  }

  it('shares the partitions among the members, and hands them over on join and leave without reading a record twice', async () => {
    const { topic, partitions } = await target.createTopic('share', 6);
    const sink: Processed[] = [];
    await produceValues(target.bootstrap, topic, partitions, 300, 'a');
    const first = member('first', 'share', [topic], sink, { processingMs: 5 });
    await eventually(() => sink.length >= 50, 'the first member to read');
    const second = member('second', 'share', [topic], sink, { processingMs: 5 });
    await eventually(
      () => first.owned().length > 0 && second.owned().length > 0,
      'both members to own partitions',
    );
    const shared = [...first.owned(), ...second.owned()];
    expect(new Set(shared).size).toBe(shared.length);
    expect(shared.length).toBe(partitions);
    await produceValues(target.bootstrap, topic, partitions, 300, 'b');
    await eventually(() => processedCounts(sink).size >= 450, 'the second batch of records to be read');
    await second.stop();
    await produceValues(target.bootstrap, topic, partitions, 300, 'c');
    await eventually(() => processedCounts(sink).size === 900, 'every record to be read');
    expect(first.owned().length).toBe(partitions);
    // Graceful rebalances commit what was processed before handing a partition over: nothing is read twice.
    // (The mock refuses commits once a rebalance has started, so there the next owner may read again.)
    const twice = [...processedCounts(sink)].filter(([, count]) => count > 1);
    if (targetName === 'sluice') expect(twice).toEqual([]);
    expect(new Set(sink.map((record) => record.member))).toEqual(new Set(['first', 'second']));
  });

  it('auto commit commits only records the application is done with', async () => {
    const { topic } = await target.createTopic('auto-commit', 1);
    await produceValues(target.bootstrap, topic, 1, 10);
    const reader = consumer({ groupId: 'auto-commit', autoCommitIntervalMs: 100 });
    reader.subscribe([topic]);
    const iterator = reader.records({ signal: AbortSignal.timeout(60_000) });
    const taken: ConsumerRecord<string, string>[] = [];
    for (let i = 0; i < 4; i++) taken.push((await iterator.next()).value as ConsumerRecord<string, string>);
    // Record 3 is still in the application's hands: only 0..2 are done with, so offset 3 is committed.
    const partition = { topic, partition: taken[0].partition };
    await eventually(
      async () => (await reader.committed([partition]))[0].offset === taken[3].offset,
      'the consumed offset to be committed',
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await reader.committed([partition]))[0].offset).toBe(taken[3].offset);
    await iterator.next();
    await eventually(
      async () => (await reader.committed([partition]))[0].offset === taken[3].offset + 1,
      'the next consumed offset to be committed',
    );
    await iterator.return?.();
  });

  it('a new member starts where the group committed, and a listener may seek instead', async () => {
    const { topic } = await target.createTopic('committed', 1);
    await produceValues(target.bootstrap, topic, 1, 20);
    const committer = consumer({ groupId: 'committed-start', enableAutoCommit: false });
    committer.subscribe([topic]);
    await eventually(() => committer.assignment().length > 0, 'the assignment');
    await committer.commit([{ topic, partition: 0, offset: 12 }]);
    await committer.close();

    const reader = consumer({ groupId: 'committed-start', enableAutoCommit: false });
    reader.subscribe([topic]);
    const first = (await reader.records({ signal: AbortSignal.timeout(60_000) }).next())
      .value as ConsumerRecord<string, string>;
    expect(first.offset).toBe(12);
    await reader.close();

    const seeker = consumer({ groupId: 'committed-start', enableAutoCommit: false });
    seeker.subscribe([topic], {
      onPartitionsAssigned: (assigned) => {
        for (const partition of assigned) seeker.seek({ ...partition, offset: 3 });
      },
    });
    const sought = (await seeker.records({ signal: AbortSignal.timeout(60_000) }).next())
      .value as ConsumerRecord<string, string>;
    expect(sought.offset).toBe(3);
  });

  it('leaves the group when the application stops asking for records, and joins again when it asks', async () => {
    const { topic, partitions } = await target.createTopic('poll-timeout', 4);
    await produceValues(target.bootstrap, topic, partitions, 40);
    const sink: Processed[] = [];
    const steady = member('steady', 'poll-timeout', [topic], sink);
    await eventually(() => steady.owned().length === partitions, 'the first member to own everything');
    const slow = consumer({ groupId: 'poll-timeout', maxPollIntervalMs: 2_000 });
    const lost: unknown[] = [];
    slow.subscribe([topic], { onPartitionsLost: (partitions) => void lost.push(partitions) });
    await eventually(() => slow.assignment().length > 0, 'the slow member to get partitions', 90_000);
    // The application takes a record and stops asking for more, for longer than maxPollIntervalMs.
    const iterator = slow.records({ signal: AbortSignal.timeout(120_000) });
    await produceValues(target.bootstrap, topic, partitions, 40, 'w');
    await iterator.next();
    await eventually(() => lost.length > 0, 'the slow member to lose its partitions', 30_000);
    await eventually(
      () => steady.owned().length === partitions,
      'the steady member to take everything back',
      90_000,
    );
    expect(slow.assignment()).toEqual([]);
    // Asking again rejoins.
    const again = iterator.next();
    await eventually(() => slow.assignment().length > 0, 'the slow member to rejoin', 90_000);
    await produceValues(target.bootstrap, topic, partitions, 40, 'x');
    expect((await again).done).toBe(false);
    await iterator.return?.();
  });

  it('a commit after the generation is over fails with CommitFailedError', async () => {
    const { topic } = await target.createTopic('commit-failed', 1);
    const reader = consumer({
      groupId: 'commit-failed',
      enableAutoCommit: false,
      maxPollIntervalMs: 1_000,
    });
    reader.subscribe([topic]);
    await eventually(() => reader.assignment().length > 0, 'the assignment');
    // Nobody reads: after maxPollIntervalMs the member leaves and its generation is over.
    await eventually(() => reader.groupMetadata().generationId === -1, 'the member to leave', 30_000);
    await expect(reader.commit([{ topic, partition: 0, offset: 1 }])).rejects.toSatisfy(
      CommitFailedError.isInstance,
    );
  });

  it('follows a pattern: topics created later that match are read too', async () => {
    const prefix = `pattern-${targetName}-${process.pid}`;
    const first = await target.createTopic(prefix, 2);
    await produceValues(target.bootstrap, first.topic, first.partitions, 10, 'first');
    const reader = consumer({ groupId: 'pattern', metadataMaxAgeMs: 300 });
    const seen = new Set<string>();
    reader.subscribe(new RegExp(`^${prefix}-`));
    const reading = (async () => {
      for await (const record of reader.records({ signal: AbortSignal.timeout(120_000) })) {
        seen.add(record.value!);
        if (seen.size === 20) break;
      }
    })();
    await eventually(() => seen.size >= 10, 'the first topic to be read');
    const second = await target.createTopic(prefix, 2);
    await produceValues(target.bootstrap, second.topic, second.partitions, 10, 'second');
    await reading;
    expect(seen.size).toBe(20);
    expect(reader.subscribed()).toEqual([first.topic, second.topic].sort());
  });

  it.skipIf(targetName === 'mock')(
    'refuses a member whose assignors the group does not share with INCONSISTENT_GROUP_PROTOCOL',
    async () => {
      const { topic } = await target.createTopic('inconsistent', 2);
      const ranged = consumer({ groupId: 'inconsistent', partitionAssignmentStrategy: ['range'] });
      ranged.subscribe([topic]);
      await eventually(() => ranged.assignment().length === 2, 'the first member to join');
      const other = consumer({ groupId: 'inconsistent', partitionAssignmentStrategy: ['roundrobin'] });
      other.subscribe([topic]);
      await expect(other.records({ signal: AbortSignal.timeout(30_000) }).next()).rejects.toSatisfy(
        (error) => KafkaError.isInstance(error) && error.code === ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
      );
    },
  );
});
