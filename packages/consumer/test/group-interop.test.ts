import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { kcatUnavailableReason } from '@sluice/test-support';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import { type AssignorName, Consumer, deserializers, ErrorCode, KafkaError } from '../src/index.js';
import {
  describeEachTarget,
  eventually,
  type GroupTarget,
  produceValues,
  testLogger,
} from './support/group-targets.js';

/**
 * Slow suite: Sluice consumers share groups with kcat -G (librdkafka's range and roundrobin assignors) and
 * with kafkajs (RoundRobinAssigner), each side leading in turn; a member offering no common assignor is
 * refused with INCONSISTENT_GROUP_PROTOCOL.
 */

/** `kcat -G`: a balanced consumer printing `partition offset` per record; stopped with SIGTERM. */
class KcatMember {
  readonly records: { partition: number; offset: number }[] = [];
  assigned: number[] = [];
  private readonly child: ChildProcess;
  private stderr = '';
  private readonly exited: Promise<void>;

  constructor(
    bootstrap: string,
    groupId: string,
    topic: string,
    assignor: 'range' | 'roundrobin' | 'cooperative-sticky',
  ) {
    this.child = spawn(
      'kcat',
      [
        '-b',
        bootstrap,
        '-G',
        groupId,
        '-X',
        `partition.assignment.strategy=${assignor}`,
        '-X',
        'session.timeout.ms=6000',
        '-X',
        'heartbeat.interval.ms=300',
        '-X',
        'auto.offset.reset=earliest',
        '-X',
        'fetch.wait.max.ms=100',
        '-u',
        '-f',
        '%p %o\\n',
        topic,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const [partition, offset] = line.trim().split(' ').map(Number);
      if (Number.isInteger(partition) && Number.isInteger(offset)) this.records.push({ partition, offset });
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderr = `${this.stderr}${line}\n`.slice(-10_000);
      // Eager: "% Group g rebalanced (memberid ...): assigned: t [0], t [3]", then "... revoked: ...".
      // Cooperative: "% Group g rebalanced: incremental assignment of 2 partition(s) (...): t [0], t [3]",
      // and "incremental revoke of ...".
      const partitionsIn = (text: string) =>
        [...text.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]));
      const assigned = /rebalanced .*: assigned: (.*)$/.exec(line);
      if (assigned) this.assigned = partitionsIn(assigned[1]);
      else if (/rebalanced .*: revoked:/.test(line)) this.assigned = [];
      const added = /incremental assignment of \d+ partition\(s\) \(.*\): (.*)$/.exec(line);
      if (added)
        this.assigned = [...new Set([...this.assigned, ...partitionsIn(added[1])])].sort((a, b) => a - b);
      const removed = /incremental revoke of \d+ partition\(s\) \(.*\): (.*)$/.exec(line);
      if (removed) {
        const gone = new Set(partitionsIn(removed[1]));
        this.assigned = this.assigned.filter((partition) => !gone.has(partition));
      }
    });
    this.exited = new Promise((resolve) => this.child.on('exit', () => resolve()));
  }

  get log(): string {
    return this.stderr;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** A Sluice member recording `partition offset` of what it reads. */
function sluiceMember(target: GroupTarget, groupId: string, topic: string, assignors: AssignorName[]) {
  const consumer = new Consumer<string, string>({
    bootstrapServers: target.bootstrap,
    groupId,
    partitionAssignmentStrategy: assignors,
    autoOffsetReset: 'earliest',
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 300,
    fetchMaxWaitMs: 100,
    valueDeserializer: deserializers.string,
    logger: testLogger,
  });
  const records: { partition: number; offset: number }[] = [];
  consumer.subscribe([topic]);
  const stop = new AbortController();
  const running = consumer
    .eachBatch(
      (batch) => {
        for (const record of batch.records)
          records.push({ partition: record.partition, offset: record.offset });
      },
      { signal: stop.signal },
    )
    .catch(() => undefined);
  return {
    consumer,
    records,
    async stop() {
      stop.abort();
      await running;
      await consumer.close();
    },
  };
}

/** Checks that two members split the partitions and together read every record exactly once. */
function expectSplit(
  partitions: number,
  perPartition: number,
  sides: { partitions: number[]; records: { partition: number; offset: number }[] }[],
): void {
  const [one, two] = sides;
  expect(one.partitions.length).toBeGreaterThan(0);
  expect(two.partitions.length).toBeGreaterThan(0);
  expect([...one.partitions, ...two.partitions].sort((a, b) => a - b)).toEqual(
    Array.from({ length: partitions }, (_, i) => i),
  );
  for (const side of sides) {
    for (const record of side.records) expect(side.partitions).toContain(record.partition);
  }
  const all = sides.flatMap((side) => side.records.map((record) => `${record.partition}-${record.offset}`));
  expect(new Set(all).size).toBe(partitions * perPartition);
}

const kcatMissing = kcatUnavailableReason();

describeEachTarget(
  'Sluice consumers in one group with kcat and kafkajs,',
  (target, targetName) => {
    const cleanups: (() => Promise<void>)[] = [];

    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    });

    for (const [assignor, sluiceFirst] of [
      ['range', true],
      ['roundrobin', false],
      ['cooperative-sticky', true],
      ['cooperative-sticky', false],
    ] as const) {
      it(`kcat -G and a Sluice consumer share a group with ${assignor} (${sluiceFirst ? 'Sluice' : 'kcat'} leads)`, async () => {
        const { topic, partitions } = await target.createTopic(`kcat-${assignor}`, 6);
        const groupId = `kcat-${assignor}-${sluiceFirst ? 'sluice-leads' : 'kcat-leads'}`;
        let sluice: ReturnType<typeof sluiceMember> | null = null;
        let kcat: KcatMember | null = null;
        if (sluiceFirst) {
          sluice = sluiceMember(target, groupId, topic, [assignor]);
          cleanups.push(() => sluice!.stop());
          await eventually(
            () => sluice!.consumer.assignment().length === partitions,
            'the Sluice member to own everything',
          );
        }
        kcat = new KcatMember(target.bootstrap, groupId, topic, assignor);
        cleanups.push(() => kcat!.stop());
        if (!sluiceFirst) {
          await eventually(
            () => kcat!.assigned.length === partitions,
            `kcat to own everything; kcat says: ${kcat.log}`,
          );
          sluice = sluiceMember(target, groupId, topic, [assignor]);
          cleanups.push(() => sluice!.stop());
        }
        await eventually(
          () =>
            sluice!.consumer.assignment().length > 0 &&
            kcat!.assigned.length > 0 &&
            sluice!.consumer.assignment().length + kcat!.assigned.length === partitions,
          'the two members to split the partitions',
          90_000,
        );
        await produceValues(target.bootstrap, topic, partitions, partitions * 50);
        await eventually(
          () => sluice!.records.length + kcat!.records.length >= partitions * 50,
          'every record to be read',
          60_000,
        );
        expectSplit(partitions, 50, [
          {
            partitions: sluice!.consumer.assignment().map((entry) => entry.partition),
            records: sluice!.records,
          },
          { partitions: kcat!.assigned, records: kcat!.records },
        ]);
        await kcat.stop();
        await sluice!.stop();
      });
    }

    it('kafkajs (RoundRobinAssigner) and a Sluice consumer offering the same name share a group, either leading', async () => {
      for (const sluiceFirst of [true, false]) {
        const { topic, partitions } = await target.createTopic('kafkajs', 6);
        const groupId = `kafkajs-${sluiceFirst ? 'sluice-leads' : 'kafkajs-leads'}`;
        const kafka = new Kafka({ brokers: target.bootstrap.split(','), logLevel: logLevel.NOTHING });
        const kafkajs = kafka.consumer({
          groupId,
          sessionTimeout: 6_000,
          heartbeatInterval: 300,
          maxWaitTimeInMs: 100,
        });
        const kafkajsRecords: { partition: number; offset: number }[] = [];
        let kafkajsAssigned: number[] = [];
        kafkajs.on(kafkajs.events.GROUP_JOIN, (event) => {
          kafkajsAssigned = (event.payload.memberAssignment[topic] ?? []).slice().sort((a, b) => a - b);
        });
        let sluice: ReturnType<typeof sluiceMember> | null = null;
        if (sluiceFirst) {
          sluice = sluiceMember(target, groupId, topic, ['RoundRobinAssigner']);
          await eventually(
            () => sluice!.consumer.assignment().length === partitions,
            'the Sluice member to own everything',
          );
        }
        await kafkajs.connect();
        await kafkajs.subscribe({ topic, fromBeginning: true });
        await kafkajs.run({
          eachMessage: async ({ partition, message }) => {
            kafkajsRecords.push({ partition, offset: Number(message.offset) });
          },
        });
        if (!sluiceFirst) {
          await eventually(() => kafkajsAssigned.length === partitions, 'kafkajs to own everything');
          sluice = sluiceMember(target, groupId, topic, ['RoundRobinAssigner']);
        }
        try {
          await eventually(
            () =>
              sluice!.consumer.assignment().length > 0 &&
              kafkajsAssigned.length > 0 &&
              sluice!.consumer.assignment().length + kafkajsAssigned.length === partitions,
            'the two members to split the partitions',
            90_000,
          );
          await produceValues(target.bootstrap, topic, partitions, partitions * 50);
          await eventually(
            () => sluice!.records.length + kafkajsRecords.length >= partitions * 50,
            'every record to be read',
            60_000,
          );
          expectSplit(partitions, 50, [
            {
              partitions: sluice!.consumer.assignment().map((entry) => entry.partition),
              records: sluice!.records,
            },
            { partitions: kafkajsAssigned, records: kafkajsRecords },
          ]);
        } finally {
          await kafkajs.disconnect();
          await sluice?.stop();
        }
      }
    });

    it.skipIf(targetName === 'mock')(
      'a Sluice consumer offering only range cannot join a kafkajs group: INCONSISTENT_GROUP_PROTOCOL',
      async () => {
        const { topic } = await target.createTopic('inconsistent-kafkajs', 2);
        const groupId = 'inconsistent-kafkajs';
        const kafka = new Kafka({ brokers: target.bootstrap.split(','), logLevel: logLevel.NOTHING });
        const kafkajs = kafka.consumer({ groupId, sessionTimeout: 6_000, heartbeatInterval: 300 });
        let joined = false;
        kafkajs.on(kafkajs.events.GROUP_JOIN, () => {
          joined = true;
        });
        await kafkajs.connect();
        await kafkajs.subscribe({ topic, fromBeginning: true });
        await kafkajs.run({ eachMessage: async () => undefined });
        try {
          await eventually(() => joined, 'kafkajs to join');
          const sluice = new Consumer({
            bootstrapServers: target.bootstrap,
            groupId,
            partitionAssignmentStrategy: ['range'],
            logger: testLogger,
          });
          sluice.subscribe([topic]);
          await expect(sluice.records({ signal: AbortSignal.timeout(30_000) }).next()).rejects.toSatisfy(
            (error) => KafkaError.isInstance(error) && error.code === ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
          );
          await sluice.close();
        } finally {
          await kafkajs.disconnect();
        }
      },
    );
  },
  kcatMissing,
);
