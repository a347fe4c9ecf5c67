import { Producer } from '@sluice/producer';
import {
  type BrokerProcess,
  removeDirectory,
  startBrokerProcess,
  temporaryDirectory,
} from '@sluice/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { Consumer } from '../src/index.js';
import { InProcessMember, type Processed, processedCounts } from './support/group-member.js';
import type { MemberEvent } from './support/group-member-process.js';
import {
  describeEachTarget,
  eventually,
  FAST_GROUP_SETTINGS,
  produceValues,
  testLogger,
} from './support/group-targets.js';
import { MemberProcess } from './support/member-processes.js';

/**
 * Slow suite: group members as child processes that join, leave (SIGTERM, a clean close) and are killed
 * (SIGKILL) while records keep coming.
 */

type BatchEvent = Extract<MemberEvent, { event: 'batch' }>;

/** Produces `batchSize` records round robin over the partitions every `intervalMs` until stopped. */
class SteadyProducer {
  produced = 0;
  private readonly producer: Producer<string, string>;
  private stopped = false;
  private readonly running: Promise<void>;

  constructor(bootstrap: string, topic: string, partitions: number, batchSize = 30, intervalMs = 50) {
    const producer = new Producer<string, string>({
      bootstrapServers: bootstrap,
      logger: testLogger,
      lingerMs: 5,
    });
    this.producer = producer;
    this.running = (async () => {
      while (!this.stopped) {
        const from = this.produced;
        await producer.send({
          topic,
          messages: Array.from({ length: batchSize }, (_, i) => ({
            value: `r-${from + i}`,
            partition: (from + i) % partitions,
          })),
        });
        this.produced += batchSize;
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await this.producer.close();
  }
}

describeEachTarget('group members under faults', (target, targetName) => {
  const processes: MemberProcess[] = [];

  afterAll(async () => {
    await Promise.allSettled(processes.map((member) => member.kill()));
  });

  function start(
    name: string,
    groupId: string,
    topic: string,
    extra: Partial<ConstructorParameters<typeof MemberProcess>[1]> = {},
  ) {
    const member = new MemberProcess(name, {
      bootstrap: target.bootstrap,
      groupId,
      topics: [topic],
      commit: 'manual',
      processingMs: 10,
      maxPollRecords: 20,
      ...extra,
    });
    processes.push(member);
    return member;
  }

  it('members join, leave and are killed mid-stream: every record is processed, and none before a committed offset again', async () => {
    const { topic, partitions } = await target.createTopic('churn', 6);
    const producer = new SteadyProducer(target.bootstrap, topic, partitions);
    const batches = (member: MemberProcess) =>
      member.events.filter((event) => event.event === 'batch').length;
    const a = start('a', 'churn', topic);
    await eventually(() => batches(a) > 5, 'a to process', 60_000);
    // b commits every third batch only: when it is killed, some of its work is not committed.
    const b = start('b', 'churn', topic, { commitEveryBatches: 3 });
    await eventually(() => batches(b) > 5, 'b to process', 60_000);
    const c = start('c', 'churn', topic);
    await eventually(() => batches(c) > 5, 'c to process', 60_000);
    await b.kill();
    const d = start('d', 'churn', topic);
    await eventually(() => batches(d) > 5, 'd to process', 60_000);
    await c.stop();
    await eventually(
      () => a.owned().length + d.owned().length === partitions,
      'a and d to own everything',
      60_000,
    );
    await producer.stop();
    const members = [a, b, c, d];

    // Every record produced is processed.
    const processed = new Map<string, number>();
    const done = () => {
      processed.clear();
      for (const member of members) {
        for (const event of member.events) {
          if (event.event !== 'batch') continue;
          for (const offset of event.offsets) {
            const key = `${event.partition}-${offset}`;
            processed.set(key, (processed.get(key) ?? 0) + 1);
          }
        }
      }
      return processed.size === producer.produced;
    };
    await eventually(done, `all ${producer.produced} records to be processed`, 120_000);

    // Nothing before a committed offset is processed again: a batch a member processes after taking a
    // partition over starts at or after every offset committed for it before the takeover.
    const commits = members.flatMap((member) =>
      member.events.filter(
        (event): event is Extract<MemberEvent, { event: 'committed' }> => event.event === 'committed',
      ),
    );
    let violations = 0;
    for (const member of members) {
      let takeover = new Map<number, number>();
      for (const event of member.events) {
        if (event.event === 'assigned') {
          takeover = new Map(takeover);
          for (const { partition } of event.partitions) takeover.set(partition, event.t);
        }
        if (event.event !== 'batch') continue;
        const since = takeover.get(event.partition);
        if (since === undefined) continue;
        const committedBefore = commits
          .filter((commit) => commit.partition === event.partition && commit.t < since)
          .reduce((max, commit) => Math.max(max, commit.offset), 0);
        if (Math.min(...(event as BatchEvent).offsets) < committedBefore) violations++;
      }
    }
    expect(violations).toBe(0);
    // Only the killed member's uncommitted work is processed twice (the others commit every batch).
    const processedBy = new Map<string, string[]>();
    for (const member of members) {
      for (const event of member.events) {
        if (event.event !== 'batch') continue;
        for (const offset of event.offsets) {
          const key = `${event.partition}-${offset}`;
          processedBy.set(key, [...(processedBy.get(key) ?? []), member.name]);
        }
      }
    }
    const twice = [...processedBy].filter(([, by]) => by.length > 1);
    // (The mock refuses commits once a rebalance has started, so there others may read again too.)
    if (targetName === 'sluice') expect(twice.filter(([, by]) => !by.includes('b'))).toEqual([]);
    const duplicates = twice.length;
    process.stdout.write(
      `[${targetName}] churn: ${producer.produced} records, ${duplicates} processed twice, ` +
        `${members.map((member) => `${member.name}: ${member.events.filter((event) => event.event === 'batch').length} batches`).join(', ')}` +
        '\n',
    );
    await Promise.all([a.stop(), d.stop()]);
  });

  it.skipIf(targetName === 'mock')(
    'a static member restarted within its session timeout gets its partitions back without a rebalance',
    async () => {
      const { topic, partitions } = await target.createTopic('static', 4);
      const producer = new SteadyProducer(target.bootstrap, topic, partitions, 8, 100);
      const dynamic = start('dynamic', 'static', topic, { sessionTimeoutMs: 10_000 });
      await eventually(() => dynamic.owned().length === partitions, 'the dynamic member to own everything');
      const fixed = start('static-1', 'static', topic, {
        groupInstanceId: 'instance-1',
        sessionTimeoutMs: 10_000,
      });
      await eventually(
        () => fixed.owned().length > 0 && dynamic.owned().length < partitions,
        'the static member to get partitions',
      );
      await eventually(
        () => fixed.events.some((event) => event.event === 'batch'),
        'the static member to process',
      );
      const before = fixed.owned();
      const rebalanceEvents = () =>
        dynamic.events.filter((event) => ['assigned', 'revoked', 'lost'].includes(event.event)).length;
      const dynamicEventsBefore = rebalanceEvents();
      const lastGeneration = () =>
        (dynamic.events.filter((event) => event.event === 'batch').at(-1) as BatchEvent).generationId;
      const generationBefore = lastGeneration();

      await fixed.kill();
      const restarted = start('static-1-again', 'static', topic, {
        groupInstanceId: 'instance-1',
        sessionTimeoutMs: 10_000,
      });
      await eventually(
        () => restarted.events.some((event) => event.event === 'batch'),
        'the restarted member to process',
      );
      expect(restarted.owned()).toEqual(before);
      // The other member saw no rebalance: no revocation, no new assignment, the same generation.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(rebalanceEvents()).toBe(dynamicEventsBefore);
      expect(lastGeneration()).toBe(generationBefore);
      await producer.stop();
      await Promise.all([dynamic.stop(), restarted.stop()]);
    },
  );
});

describe('a consumer group across a broker restart', () => {
  it('keeps its committed offsets and goes on reading after the broker is killed and restarted', async () => {
    const dataDir = temporaryDirectory();
    let broker: BrokerProcess = await startBrokerProcess({
      dataDir,
      settings: { ...FAST_GROUP_SETTINGS, 'num.partitions': '4' },
    });
    const port = broker.port;
    const sink: Processed[] = [];
    let member: InProcessMember | null = null;
    try {
      const topic = 'restart';
      await produceValues(broker.bootstrap, topic, 4, 200, 'before');
      member = new InProcessMember('survivor', broker.bootstrap, [topic], sink, {
        groupId: 'restart',
        requestTimeoutMs: 5_000,
        socketConnectionSetupTimeoutMs: 2_000,
      });
      await eventually(() => processedCounts(sink).size === 200, 'the first records to be read');
      const checker = new Consumer({
        bootstrapServers: broker.bootstrap,
        groupId: 'restart',
        logger: testLogger,
      });
      const partitions = [0, 1, 2, 3].map((partition) => ({ topic, partition }));
      await eventually(
        async () => (await checker.committed(partitions)).every((entry) => entry.offset === 50),
        'the offsets to be committed',
      );
      await checker.close();

      await broker.kill();
      broker = await startBrokerProcess({
        dataDir,
        port,
        settings: { ...FAST_GROUP_SETTINGS, 'num.partitions': '4' },
      });
      // The group's offsets were written to __consumer_offsets and loaded back.
      const reader = new Consumer({
        bootstrapServers: broker.bootstrap,
        groupId: 'restart',
        logger: testLogger,
      });
      expect((await reader.committed(partitions)).map((entry) => entry.offset)).toEqual([50, 50, 50, 50]);
      await reader.close();

      await produceValues(broker.bootstrap, topic, 4, 200, 'after');
      await eventually(
        () => processedCounts(sink).size === 400,
        'the records written after the restart to be read',
        90_000,
      );
      expect([...processedCounts(sink).values()].every((count) => count === 1)).toBe(true);
    } finally {
      await member?.stop();
      await broker.kill();
      removeDirectory(dataDir);
    }
  });
});
