/**
 * Producer and consumer throughput of the Sluice client against a Sluice broker, side by side with kafkajs
 * 2.2.4 and kcat (librdkafka) against the same broker, in the same run.
 *
 *   pnpm --filter @sluice/client bench [--rounds 3] [--records 300000] [--seed 1] [--quick]
 *
 * The broker runs as a child process (apps/broker/dist/main.js; build it first with
 * `pnpm --filter @sluice/broker... build`) with 3 partitions per topic. Records are 100-byte values
 * (seeded, printable, so kcat can read them as lines), no keys, no compression, acks=all for everyone.
 * Each round runs every case once, interleaved; figures are medians over rounds, and ratios compare
 * clients within the run (the machine is shared and noisy: compare ratios, not absolute figures across
 * runs).
 *
 * Cases:
 * - produce: N records to a fresh topic.
 *   Sluice: `producer.send` with 1000 messages per call, up to 32 calls in flight, default options
 *   (idempotent, linger.ms 0, batch.size 16384).
 *   kafkajs: `producer.send` with the same calls and window, acks -1 (its defaults otherwise).
 *   kcat: `kcat -P` reading the records as lines from a file (librdkafka's defaults, acks all); the time
 *   includes starting the process.
 * - consume: the N records of the Sluice-produced topic from offset 0, all 3 partitions.
 *   Sluice: `consumer.eachBatch`, and the one-record-at-a-time async iterator.
 *   kafkajs: its consumer in a group (`consumer.run` with `eachBatch`, the fastest form it has), timed from
 *   its joining the group to its last batch, the baseline of the ratios; also its Broker.fetch in a loop over the 3 partitions, the fetch and batch
 *   decoding alone without group management (which favours it).
 *   kcat: `kcat -C -o beginning -e` printing each record's offset; the time includes starting the process.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineLine, median, parseBenchFlags, startBrokerProcess } from '@sluice/test-support';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, Producer, seededRandom } from '../src/index.js';

process.env.SLUICE_LOG_LEVEL ??= 'error';

const {
  rounds: ROUNDS,
  records: RECORDS,
  seed: SEED,
} = parseBenchFlags({ rounds: 3, records: 300_000, seed: 1, quickRecords: 20_000 });
const VALUE_BYTES = 100;
const MESSAGES_PER_SEND = 1_000;
const SENDS_IN_FLIGHT = 32;
const PARTITIONS = 3;

function write(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Seeded printable 100-byte values (no newline, so kcat reads one per line). */
function recordValues(count: number, seed: number): Buffer[] {
  const random = seededRandom(seed);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 {}":,';
  return Array.from({ length: count }, () => {
    const value = Buffer.allocUnsafe(VALUE_BYTES);
    for (let i = 0; i < VALUE_BYTES; i++)
      value[i] = alphabet.charCodeAt(Math.floor(random() * alphabet.length));
    return value;
  });
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${stderr}`)),
    );
  });
}

async function timed(action: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

async function sendAll(
  send: (messages: { value: Buffer }[]) => Promise<unknown>,
  values: Buffer[],
): Promise<void> {
  const inFlight = new Set<Promise<unknown>>();
  for (let first = 0; first < values.length; first += MESSAGES_PER_SEND) {
    const messages = values.slice(first, first + MESSAGES_PER_SEND).map((value) => ({ value }));
    const sending: Promise<unknown> = send(messages).then(() => inFlight.delete(sending));
    inFlight.add(sending);
    if (inFlight.size >= SENDS_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

async function main(): Promise<void> {
  write(
    `# Sluice client throughput: ${RECORDS} records of ${VALUE_BYTES} bytes, ${ROUNDS} rounds, seed ${SEED}`,
  );
  write(`# rerun: pnpm --filter @sluice/client bench --rounds ${ROUNDS} --records ${RECORDS} --seed ${SEED}`);
  write(`# machine: ${machineLine({ loadAverage: true })}`);
  const broker = await startBrokerProcess({ settings: { 'num.partitions': String(PARTITIONS) } });
  write(`# broker: node apps/broker/dist/main.js on ${broker.bootstrap}, ${PARTITIONS} partitions per topic`);
  const values = recordValues(RECORDS, SEED);
  const kcatInput = join(broker.dataDir, 'kcat-input.txt');
  writeFileSync(kcatInput, `${values.map((value) => value.toString('latin1')).join('\n')}\n`);
  const kafka = new Kafka({ clientId: 'bench', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });

  const results = new Map<string, number[]>();
  const record = (name: string, milliseconds: number) => {
    const list = results.get(name) ?? [];
    list.push(RECORDS / (milliseconds / 1000));
    results.set(name, list);
  };

  try {
    for (let round = 0; round < ROUNDS; round++) {
      const sluiceTopic = `bench-sluice-${round}`;
      const producer = new Producer({ bootstrapServers: broker.bootstrap });
      await producer.connect();
      await producer.send({ topic: sluiceTopic, messages: [{ value: values[0] }] }); // metadata and producer id
      record(
        'produce: sluice',
        await timed(() => sendAll((messages) => producer.send({ topic: sluiceTopic, messages }), values)),
      );
      await producer.close();

      const kafkajsTopic = `bench-kafkajs-${round}`;
      const kafkajsProducer = kafka.producer();
      await kafkajsProducer.connect();
      await kafkajsProducer.send({ topic: kafkajsTopic, acks: -1, messages: [{ value: values[0] }] });
      record(
        'produce: kafkajs',
        await timed(() =>
          sendAll((messages) => kafkajsProducer.send({ topic: kafkajsTopic, acks: -1, messages }), values),
        ),
      );
      await kafkajsProducer.disconnect();

      const kcatTopic = `bench-kcat-${round}`;
      record(
        'produce: kcat',
        await timed(() =>
          run('kcat', ['-P', '-b', broker.bootstrap, '-t', kcatTopic, '-X', 'acks=all', '-l', kcatInput]),
        ),
      );

      // Consume what the Sluice producer wrote (plus its one warm-up record, not counted).
      const total = RECORDS + 1;
      const batchConsumer = new Consumer({ bootstrapServers: broker.bootstrap });
      record(
        'consume: sluice eachBatch',
        await timed(async () => {
          batchConsumer.assign(
            Array.from({ length: PARTITIONS }, (_, partition) => ({
              topic: sluiceTopic,
              partition,
              offset: 0,
            })),
          );
          let count = 0;
          const done = new AbortController();
          await batchConsumer.eachBatch(
            (batch) => {
              count += batch.records.length;
              if (count >= total) done.abort();
            },
            { signal: done.signal },
          );
        }),
      );
      await batchConsumer.close();

      const iteratingConsumer = new Consumer({ bootstrapServers: broker.bootstrap });
      record(
        'consume: sluice iterator',
        await timed(async () => {
          iteratingConsumer.assign(
            Array.from({ length: PARTITIONS }, (_, partition) => ({
              topic: sluiceTopic,
              partition,
              offset: 0,
            })),
          );
          let count = 0;
          for await (const _ of iteratingConsumer) if (++count >= total) break;
        }),
      );
      await iteratingConsumer.close();

      record(
        'consume: kafkajs',
        await kafkajsGroupConsumeAll(kafka, sluiceTopic, total, `bench-kafkajs-${round}`),
      );
      record(
        'consume: kafkajs fetch loop',
        await timed(() => kafkajsFetchAll(kafka, broker.bootstrap, sluiceTopic, total)),
      );

      record(
        'consume: kcat',
        await timed(() =>
          run('kcat', [
            '-C',
            '-b',
            broker.bootstrap,
            '-t',
            sluiceTopic,
            '-o',
            'beginning',
            '-e',
            '-q',
            '-f',
            '%o\n',
          ]),
        ),
      );
      write(`# round ${round + 1} of ${ROUNDS} done`);
    }
  } finally {
    await broker.stop();
  }

  write();
  write('| case | median records/s | MB/s (values) | rounds | ratio to kafkajs | ratio to kcat |');
  write('| --- | --- | --- | --- | --- | --- |');
  for (const operation of ['produce', 'consume']) {
    const kafkajs = median(results.get(`${operation}: kafkajs`)!);
    const kcat = median(results.get(`${operation}: kcat`)!);
    for (const [name, list] of results) {
      if (!name.startsWith(operation)) continue;
      const value = median(list);
      const rounds = list.map((entry) => Math.round(entry / 1000)).join(' / ');
      write(
        `| ${name} | ${Math.round(value).toLocaleString('en-US')} | ${((value * VALUE_BYTES) / 1e6).toFixed(1)} | ${rounds} k | ${(value / kafkajs).toFixed(2)}x | ${(value / kcat).toFixed(2)}x |`,
      );
    }
  }
}

/**
 * kafkajs's consumer in a group, from the beginning, until `total` records have been handed to it. Returns
 * the milliseconds from the moment it has joined the group (its GROUP_JOIN event) to its last batch: the
 * join itself (seconds in kafkajs) is left out, so the figure is its reading rate.
 */
async function kafkajsGroupConsumeAll(
  kafka: Kafka,
  topic: string,
  total: number,
  groupId: string,
): Promise<number> {
  const consumer = kafka.consumer({ groupId, maxBytes: 52_428_800, maxBytesPerPartition: 10_485_760 });
  let joinedAt = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt = performance.now();
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let lastBatchAt = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          count += batch.messages.length;
          if (count >= total) {
            lastBatchAt = performance.now();
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  if (joinedAt === 0) throw new Error('kafkajs never reported joining the group');
  return lastBatchAt - joinedAt;
}

/**
 * kafkajs's fetch path: its Broker.fetch (request, response and record batch decoding into message
 * objects, as its consumer runs them), looping over the partitions until `total` records are read.
 */
async function kafkajsFetchAll(kafka: Kafka, bootstrap: string, topic: string, total: number): Promise<void> {
  const symbols = Object.getOwnPropertySymbols(kafka);
  const createCluster = (kafka as unknown as Record<symbol, (options: object) => KafkajsCluster>)[
    symbols.find((symbol) => symbol.description === 'private:Kafka:createCluster')!
  ];
  const cluster = createCluster({
    metadataMaxAge: 300_000,
    allowAutoTopicCreation: false,
    isolationLevel: 0,
  });
  await cluster.connect();
  await cluster.addTargetTopic(topic);
  const offsets = Array.from({ length: PARTITIONS }, () => '0');
  let count = 0;
  try {
    while (count < total) {
      const leaders = cluster.findLeaderForPartitions(
        topic,
        offsets.map((_, partition) => partition),
      );
      for (const [nodeId, partitions] of Object.entries(leaders)) {
        const kafkajsBroker = await cluster.findBroker({ nodeId });
        const response = await kafkajsBroker.fetch({
          replicaId: -1,
          isolationLevel: 0,
          maxWaitTime: 500,
          minBytes: 1,
          maxBytes: 52_428_800,
          topics: [
            {
              topic,
              partitions: partitions.map((partition) => ({
                partition,
                fetchOffset: offsets[partition],
                maxBytes: 1_048_576,
              })),
            },
          ],
        });
        for (const topicResponse of response.responses) {
          for (const partitionResponse of topicResponse.partitions) {
            const messages = partitionResponse.messages.filter(
              (message) => BigInt(message.offset) >= BigInt(offsets[partitionResponse.partition]),
            );
            if (messages.length === 0) continue;
            count += messages.length;
            offsets[partitionResponse.partition] = String(BigInt(messages[messages.length - 1].offset) + 1n);
          }
        }
      }
    }
  } finally {
    await cluster.disconnect();
  }
  void bootstrap;
}

interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(options: { nodeId: string }): Promise<{
    fetch(request: object): Promise<{
      responses: { topicName: string; partitions: { partition: number; messages: { offset: string }[] }[] }[];
    }>;
  }>;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
