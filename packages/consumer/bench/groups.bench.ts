/**
 * Consumer groups against a Sluice broker: how long a rebalance takes with 1, 10 and 50 members, and the
 * throughput of a group of 1, 3 and 6 members reading a 6-partition topic.
 *
 *   pnpm --filter @sluice/consumer bench [--rounds 3] [--records 300000] [--members 1,10,50]
 *     [--readers 1,3,6] [--seed 1] [--quick]
 *
 * The broker runs as a child process (apps/broker/dist/main.js; build it first with
 * `pnpm --filter @sluice/broker... build`) with group.initial.rebalance.delay.ms=0. The members run in
 * this process (one event loop for all of them: the figures show what the group machinery costs, not how
 * a group scales over machines). Figures are medians over rounds; the machine is shared and noisy, so
 * compare the ratios within one run rather than absolute figures across runs.
 *
 * Cases:
 * - rebalance, N members: N members (range, heartbeat.interval.ms 300) subscribe to a 60-partition topic
 *   and settle; then one more member joins, and the time is measured from its subscribe until every one
 *   of the N + 1 members has its new assignment (eager: all of them revoke and rejoin). Also reported:
 *   the time for the N members to form the group from nothing. The ratio compares with 1 member.
 * - throughput, K members: K members (range) read the same R records of 100 bytes (seeded) from a
 *   6-partition topic from the start, in a fresh group; two figures: from the first subscribe to the last
 *   record (joining, the committed-offset lookup and the offset reset included), and from the first batch
 *   to the last (reading alone). The baseline is one consumer in assign mode (no group) reading the 6 partitions, in the
 *   same round (after one warm-up read that is not counted); the cases run in a rotating order. Each
 *   member has its own connections, so K members fetch in parallel even though they share one thread.
 */
import { Cluster, networkOptionTable, resolveOptions, seededRandom } from '@sluice/network';
import { Producer } from '@sluice/producer';
import { Apis } from '@sluice/protocol';
import { machineLine, median, parseBenchFlags, startBrokerProcess } from '@sluice/test-support';
import { pino } from 'pino';
import { Consumer, type TopicPartition } from '../src/index.js';

process.env.SLUICE_LOG_LEVEL ??= 'error';

const flags = parseBenchFlags(
  { rounds: 3, records: 300_000, seed: 1, quickRecords: 12_000 },
  { members: '1,10,50', readers: '1,3,6' },
);
const { quick: QUICK, rounds: ROUNDS, records: RECORDS, seed: SEED } = flags;
const MEMBER_COUNTS = (QUICK ? '1,3' : flags.extra.members).split(',').map(Number);
const READER_COUNTS = (QUICK ? '1,3' : flags.extra.readers).split(',').map(Number);
const VALUE_BYTES = 100;
const REBALANCE_PARTITIONS = 60;
const THROUGHPUT_PARTITIONS = 6;
const HEARTBEAT_INTERVAL_MS = 300;
const logger = pino({ level: 'error' }, pino.destination(2));

function write(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const options = resolveOptions(networkOptionTable, { bootstrapServers: bootstrap });
  const cluster = new Cluster({ ...options, allowAutoTopicCreation: false, logger });
  try {
    await cluster.connect();
    const response = await cluster.request('controller', Apis.CreateTopics, {
      topics: [
        { name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    if (response.topics[0].errorCode !== 0)
      throw new Error(`CreateTopics ${topic}: ${response.topics[0].errorCode}`);
    await cluster.metadata.waitForTopic(topic, Date.now() + 10_000);
  } finally {
    await cluster.close();
  }
}

/** A member that counts what it reads and remembers the generation of its last assignment. */
class Member {
  readonly consumer: Consumer;
  read = 0;
  /** When the first and the last batch came (performance.now() ms), and how big the first was. */
  firstBatchAtMs = 0;
  firstBatchRecords = 0;
  lastBatchAtMs = 0;
  assignedGeneration = -1;
  owned = 0;
  private readonly stop = new AbortController();
  private readonly running: Promise<void>;

  constructor(bootstrap: string, groupId: string, topic: string) {
    this.consumer = new Consumer({
      bootstrapServers: bootstrap,
      groupId,
      autoOffsetReset: 'earliest',
      partitionAssignmentStrategy: ['range'],
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
      fetchMaxWaitMs: 100,
      logger,
    });
    this.consumer.subscribe([topic], {
      onPartitionsAssigned: (partitions: TopicPartition[]) => {
        this.owned += partitions.length;
        this.assignedGeneration = this.consumer.groupMetadata().generationId;
      },
      onPartitionsRevoked: (partitions: TopicPartition[]) => {
        this.owned -= partitions.length;
      },
      onPartitionsLost: (partitions: TopicPartition[]) => {
        this.owned -= partitions.length;
      },
    });
    this.running = this.consumer
      .eachBatch(
        (batch) => {
          const now = performance.now();
          if (this.read === 0) {
            this.firstBatchAtMs = now;
            this.firstBatchRecords = batch.records.length;
          }
          this.read += batch.records.length;
          this.lastBatchAtMs = now;
        },
        { signal: this.stop.signal },
      )
      .catch((error: unknown) => logger.error({ err: error }, 'member failed'));
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.running;
    await this.consumer.close();
  }
}

/** Rebalance time: N members settle, one more joins; ms until all N + 1 hold the new generation's assignment. */
async function rebalanceOnce(
  bootstrap: string,
  count: number,
  round: number,
): Promise<{ formMs: number; joinMs: number }> {
  const topic = `rebalance-${count}-${round}`;
  await createTopic(bootstrap, topic, REBALANCE_PARTITIONS);
  const groupId = `${topic}-group`;
  const members: Member[] = [];
  try {
    const formStarted = performance.now();
    for (let i = 0; i < count; i++) members.push(new Member(bootstrap, groupId, topic));
    const settled = () => {
      const generation = members[0].consumer.groupMetadata().generationId;
      return (
        generation >= 0 &&
        members.every(
          (member) =>
            member.consumer.groupMetadata().state === 'stable' &&
            member.assignedGeneration === member.consumer.groupMetadata().generationId &&
            member.consumer.groupMetadata().generationId === generation,
        ) &&
        members.reduce((sum, member) => sum + member.owned, 0) === REBALANCE_PARTITIONS
      );
    };
    await waitFor(settled, `${count} members to form the group`);
    const formMs = performance.now() - formStarted;
    const generationBefore = members[0].consumer.groupMetadata().generationId;
    const joinStarted = performance.now();
    members.push(new Member(bootstrap, groupId, topic));
    await waitFor(
      () => settled() && members[0].consumer.groupMetadata().generationId > generationBefore,
      `${count + 1} members to settle after a join`,
    );
    return { formMs, joinMs: performance.now() - joinStarted };
  } finally {
    await Promise.all(members.map((member) => member.close()));
  }
}

/** Group throughput: K members read every record of the topic; records per second. */
interface Rates {
  /** From the first subscribe (or assign) to the last record: joining and positioning included. */
  readonly totalPerSecond: number;
  /** From the first batch to the last: reading alone. */
  readonly steadyPerSecond: number;
}

function rates(startedMs: number, firstAtMs: number, firstRecords: number, lastAtMs: number): Rates {
  return {
    totalPerSecond: RECORDS / ((lastAtMs - startedMs) / 1000),
    steadyPerSecond: (RECORDS - firstRecords) / (Math.max(1, lastAtMs - firstAtMs) / 1000),
  };
}

/** Group throughput: K members read every record of the topic. */
async function throughputOnce(
  bootstrap: string,
  topic: string,
  count: number,
  label: string,
): Promise<Rates> {
  const members: Member[] = [];
  const started = performance.now();
  try {
    for (let i = 0; i < count; i++) members.push(new Member(bootstrap, `${label}-group`, topic));
    await waitFor(
      () => members.reduce((sum, member) => sum + member.read, 0) >= RECORDS,
      `${count} members to read`,
      600_000,
    );
    const readers = members.filter((member) => member.read > 0);
    const first = readers.reduce((earliest, member) =>
      member.firstBatchAtMs < earliest.firstBatchAtMs ? member : earliest,
    );
    const lastAtMs = Math.max(...readers.map((member) => member.lastBatchAtMs));
    return rates(started, first.firstBatchAtMs, first.firstBatchRecords, lastAtMs);
  } finally {
    await Promise.all(members.map((member) => member.close()));
  }
}

/** The baseline: one consumer in assign mode, no group. */
async function assignModeOnce(bootstrap: string, topic: string): Promise<Rates> {
  const consumer = new Consumer({ bootstrapServers: bootstrap, fetchMaxWaitMs: 100, logger });
  const started = performance.now();
  try {
    consumer.assign(
      Array.from({ length: THROUGHPUT_PARTITIONS }, (_, partition) => ({ topic, partition, offset: 0 })),
    );
    let read = 0;
    let firstAtMs = 0;
    let firstRecords = 0;
    let lastAtMs = 0;
    const done = new AbortController();
    await consumer.eachBatch(
      (batch) => {
        const now = performance.now();
        if (read === 0) {
          firstAtMs = now;
          firstRecords = batch.records.length;
        }
        read += batch.records.length;
        lastAtMs = now;
        if (read >= RECORDS) done.abort();
      },
      { signal: done.signal },
    );
    return rates(started, firstAtMs, firstRecords, lastAtMs);
  } finally {
    await consumer.close();
  }
}

async function produceRecords(bootstrap: string, topic: string): Promise<void> {
  const random = seededRandom(SEED);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const producer = new Producer({ bootstrapServers: bootstrap, logger, lingerMs: 5 });
  try {
    const inFlight = new Set<Promise<unknown>>();
    for (let first = 0; first < RECORDS; first += 1_000) {
      const messages = Array.from({ length: Math.min(1_000, RECORDS - first) }, (_, i) => {
        const value = Buffer.allocUnsafe(VALUE_BYTES);
        for (let j = 0; j < VALUE_BYTES; j++)
          value[j] = alphabet.charCodeAt(Math.floor(random() * alphabet.length));
        return { value, partition: (first + i) % THROUGHPUT_PARTITIONS };
      });
      const sending: Promise<unknown> = producer
        .send({ topic, messages })
        .then(() => inFlight.delete(sending));
      inFlight.add(sending);
      if (inFlight.size >= 16) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await producer.close();
  }
}

async function main(): Promise<void> {
  write(
    `# Sluice consumer groups: rebalances with ${MEMBER_COUNTS.join(', ')} members, throughput with ` +
      `${READER_COUNTS.join(', ')} members over ${RECORDS} records of ${VALUE_BYTES} bytes; ${ROUNDS} rounds, seed ${SEED}`,
  );
  write(
    `# rerun: pnpm --filter @sluice/consumer bench --rounds ${ROUNDS} --records ${RECORDS} ` +
      `--members ${MEMBER_COUNTS.join(',')} --readers ${READER_COUNTS.join(',')} --seed ${SEED}`,
  );
  write(`# machine: ${machineLine({ loadAverage: true })}`);
  const broker = await startBrokerProcess({ settings: { 'group.initial.rebalance.delay.ms': '0' } });
  write(`# broker: node apps/broker/dist/main.js on ${broker.bootstrap}, group.initial.rebalance.delay.ms=0`);
  try {
    const joinMs = new Map<number, number[]>();
    const formMs = new Map<number, number[]>();
    const measured = new Map<string, Rates[]>();
    const throughputTopic = 'throughput';
    await createTopic(broker.bootstrap, throughputTopic, THROUGHPUT_PARTITIONS);
    await produceRecords(broker.bootstrap, throughputTopic);
    await assignModeOnce(broker.bootstrap, throughputTopic); // warm-up, not counted
    for (let round = 0; round < ROUNDS; round++) {
      for (const count of MEMBER_COUNTS) {
        const measured = await rebalanceOnce(broker.bootstrap, count, round);
        joinMs.set(count, [...(joinMs.get(count) ?? []), measured.joinMs]);
        formMs.set(count, [...(formMs.get(count) ?? []), measured.formMs]);
      }
      // The cases in a different order each round, so that none always runs first.
      const cases: (number | 'assign')[] = ['assign', ...READER_COUNTS];
      for (let i = 0; i < cases.length; i++) {
        const which = cases[(i + round) % cases.length];
        const name = which === 'assign' ? 'assign' : `${which}-members`;
        const rate =
          which === 'assign'
            ? await assignModeOnce(broker.bootstrap, throughputTopic)
            : await throughputOnce(broker.bootstrap, throughputTopic, which, `${which}-members-${round}`);
        measured.set(name, [...(measured.get(name) ?? []), rate]);
      }
    }

    write();
    write(
      `## rebalance (range, ${REBALANCE_PARTITIONS} partitions, heartbeat.interval.ms ${HEARTBEAT_INTERVAL_MS})`,
    );
    write('| members | one more joins: ms until all settled | rounds | vs 1 member | form the group: ms |');
    write('| --- | --- | --- | --- | --- |');
    const joinBase = median(joinMs.get(MEMBER_COUNTS[0]) ?? [1]);
    for (const count of MEMBER_COUNTS) {
      const join = median(joinMs.get(count)!);
      const rounds = joinMs
        .get(count)!
        .map((ms) => ms.toFixed(0))
        .join(' / ');
      write(
        `| ${count} | ${join.toFixed(0)} | ${rounds} | ${(join / joinBase).toFixed(2)}x | ${median(formMs.get(count)!).toFixed(0)} |`,
      );
    }
    write();
    write(
      `## throughput (range, ${THROUGHPUT_PARTITIONS} partitions, ${RECORDS} records, from subscribe to the last record)`,
    );
    write(
      '| case | records/s, subscribe to last record | MB/s | rounds (k/s) | vs assign mode | records/s, first batch to last | vs assign mode |',
    );
    write('| --- | --- | --- | --- | --- | --- | --- |');
    const total = (name: string) => measured.get(name)!.map((rate) => rate.totalPerSecond);
    const steady = (name: string) => measured.get(name)!.map((rate) => rate.steadyPerSecond);
    const baseline = median(total('assign'));
    const steadyBaseline = median(steady('assign'));
    const row = (label: string, name: string) => {
      const rate = median(total(name));
      const rounds = total(name)
        .map((value) => (value / 1000).toFixed(0))
        .join(' / ');
      const steadyRate = median(steady(name));
      write(
        `| ${label} | ${Math.round(rate).toLocaleString('en-US')} | ${((rate * VALUE_BYTES) / 1e6).toFixed(1)} | ${rounds} | ` +
          `${(rate / baseline).toFixed(2)}x | ${Math.round(steadyRate).toLocaleString('en-US')} | ${(steadyRate / steadyBaseline).toFixed(2)}x |`,
      );
    };
    row('assign mode, 1 consumer (baseline)', 'assign');
    for (const count of READER_COUNTS) row(`group of ${count}`, `${count}-members`);
  } finally {
    await broker.stop();
  }
}

await main();
