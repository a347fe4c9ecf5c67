import * as sluiceBroker from '@sluice/broker';
import { kcat, kcatUnavailableReason, startMockCluster, startSluiceBroker } from '@sluice/test-support';
import { describeOrSkip, describeWithMockCluster, startedForSuite } from '@sluice/test-support/vitest';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { Producer, partitionForKey } from '../src/index.js';

/**
 * Slow suite: what this producer writes, kcat (librdkafka) and kafkajs read, from a Sluice broker and from
 * librdkafka's mock cluster; and keyed records land where librdkafka's murmur2 partitioner puts them.
 */

const logger = pino({ level: 'silent' });

interface KcatJsonMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

async function kcatRead(bootstrap: string, topic: string, extra: string[] = []): Promise<KcatJsonMessage[]> {
  const output = await kcat(bootstrap, [
    '-C',
    '-t',
    topic,
    '-o',
    'beginning',
    '-e',
    '-J',
    '-X',
    'check.crcs=true',
    ...extra,
  ]);
  return output
    .toString('utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as KcatJsonMessage)
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

function sampleMessages(count: number, tag: string) {
  return Array.from({ length: count }, (_, i) => ({
    key: i % 5 === 0 ? null : `${tag}-key-${i % 11}`,
    value: i % 13 === 0 ? null : `${tag} value ${i} ${'·'.repeat(i % 20)}`,
    headers: i % 3 === 0 ? { trace: `t-${i}`, kind: tag } : undefined,
  }));
}

describeOrSkip('kcat reads what the producer writes to a Sluice broker', kcatUnavailableReason(), () => {
  const broker = startedForSuite(() => startSluiceBroker(sluiceBroker, { 'num.partitions': '4' }));

  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`every key, value, header and offset, ${compression}`, async () => {
      const topic = `to-kcat-${compression}`;
      const producer = new Producer({ bootstrapServers: broker.bootstrap, compression, logger });
      const messages = sampleMessages(300, compression);
      const results = await producer.send({ topic, messages });
      await producer.close();
      const read = await kcatRead(broker.bootstrap, topic);
      expect(read).toHaveLength(messages.length);
      const byPosition = new Map(read.map((message) => [`${message.partition}/${message.offset}`, message]));
      for (const [i, message] of messages.entries()) {
        const got = byPosition.get(`${results[i].partition}/${results[i].offset}`)!;
        expect(got.key).toBe(message.key);
        expect(got.payload).toBe(message.value);
        const headers = message.headers ? Object.entries(message.headers).flat() : undefined;
        expect(got.headers).toEqual(headers);
      }
    });
  }

  it("puts keyed records on the partitions librdkafka's murmur2_random partitioner picks", async () => {
    const topic = 'partitioned-by-kcat';
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}-${'x'.repeat(i % 17)}`);
    // kcat creates the topic (4 partitions) and places each keyed message itself.
    await kcat(
      broker.bootstrap,
      ['-P', '-t', topic, '-K', '\t', '-X', 'topic.partitioner=murmur2_random'],
      keys.map((key) => `${key}\tfrom-kcat`).join('\n'),
    );
    const placedByKcat = new Map(
      (await kcatRead(broker.bootstrap, topic)).map((message) => [message.key, message.partition]),
    );
    const producer = new Producer({ bootstrapServers: broker.bootstrap, logger });
    const ours = await producer.send({
      topic,
      messages: keys.map((key) => ({ key, value: 'from-sluice' })),
    });
    await producer.close();
    expect(new Set(placedByKcat.values()).size).toBe(4);
    for (const [i, key] of keys.entries()) {
      expect(placedByKcat.get(key)).toBe(partitionForKey(Buffer.from(key), 4));
      expect(ours[i].partition).toBe(placedByKcat.get(key));
    }
  });
});

// Metadata up to v4 for kafkajs; the producer works with the default v2 too (see the network tests).
describeWithMockCluster(
  "kcat and kafkajs read what the producer writes to librdkafka's mock cluster",
  { lifetimeSeconds: 300, apiVersions: ['3:0:4'] },
  (mock) => {
    it('kcat reads every compression, written by idempotent producers', async () => {
      const expected: { partition: number; offset: number; key: string | null; value: string | null }[] = [];
      for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
        const compressed = new Producer({ bootstrapServers: mock.bootstrap, compression, logger });
        const messages = sampleMessages(100, compression);
        const results = await compressed.send({ topic: 't', messages });
        await compressed.close();
        expect(compressed.producerId).toBeGreaterThanOrEqual(0n);
        messages.forEach((message, i) => {
          expected.push({
            partition: results[i].partition,
            offset: results[i].offset,
            key: message.key,
            value: message.value,
          });
        });
      }
      const read = await kcatRead(mock.bootstrap, 't');
      expect(
        read.map((message) => ({
          partition: message.partition,
          offset: message.offset,
          key: message.key,
          value: message.payload,
        })),
      ).toEqual(expected.sort((a, b) => a.partition - b.partition || a.offset - b.offset));
    });

    it("kafkajs's consumer reads what the producer wrote", async () => {
      // A cluster of its own: kafkajs has only gzip built in and stops at the other codecs written above.
      const own = await startMockCluster(120, ['3:0:4']);
      const topic = 't';
      const producer = new Producer({ bootstrapServers: own.bootstrap, compression: 'gzip', logger });
      const messages = Array.from({ length: 50 }, (_, i) => ({
        key: `kafkajs-${i}`,
        value: `for kafkajs ${i}`,
        headers: { n: String(i) },
      }));
      const results = await producer.send({ topic, messages });
      await producer.close();
      const kafka = new Kafka({ brokers: own.bootstrap.split(','), logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: `reader-${Date.now()}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen = new Map<string, { partition: number; offset: number; value: string; header: string }>();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`kafkajs read ${seen.size} of ${messages.length}`)),
          60_000,
        );
        void consumer.run({
          eachMessage: async ({ partition, message }) => {
            const key = message.key?.toString() ?? '';
            if (!key.startsWith('kafkajs-')) return;
            seen.set(key, {
              partition,
              offset: Number(message.offset),
              value: message.value!.toString(),
              header: message.headers!.n!.toString(),
            });
            if (seen.size === messages.length) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      await consumer.disconnect();
      await own.stop();
      for (const [i, message] of messages.entries()) {
        expect(seen.get(message.key)).toEqual({
          partition: results[i].partition,
          offset: results[i].offset,
          value: message.value,
          header: String(i),
        });
      }
    });
  },
);
