import * as sluiceBroker from '@sluice/broker';
import { kcat, kcatUnavailableReason, startSluiceBroker } from '@sluice/test-support';
import { describeOrSkip, describeWithMockCluster, startedForSuite } from '@sluice/test-support/vitest';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { Consumer, type ConsumerRecord, deserializers } from '../src/index.js';

/**
 * Slow suite: the consumer reads what kcat (librdkafka) and kafkajs write, from a Sluice broker and from
 * librdkafka's mock cluster.
 */

const logger = pino({ level: 'silent' });

async function readAll(
  bootstrap: string,
  topic: string,
  partitions: number[],
  count: number,
): Promise<ConsumerRecord<string, string>[]> {
  const consumer = new Consumer<string, string>({
    bootstrapServers: bootstrap,
    keyDeserializer: deserializers.string,
    valueDeserializer: deserializers.string,
    logger,
  });
  consumer.assign(partitions.map((partition) => ({ topic, partition, offset: 'earliest' })));
  const records: ConsumerRecord<string, string>[] = [];
  try {
    for await (const record of consumer.records({ signal: AbortSignal.timeout(30_000) })) {
      records.push(record);
      if (records.length === count) break;
    }
  } finally {
    await consumer.close();
  }
  expect(records).toHaveLength(count);
  return records;
}

describeOrSkip(
  'the consumer reads what kcat and kafkajs write to a Sluice broker',
  kcatUnavailableReason(),
  () => {
    const broker = startedForSuite(() => startSluiceBroker(sluiceBroker, { 'num.partitions': '1' }));

    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      it(`kcat, ${codec}: keys, values, headers and offsets`, async () => {
        const topic = `from-kcat-${codec}`;
        const lines = Array.from({ length: 200 }, (_, i) => `key-${i}\tvalue ${i} from kcat`);
        await kcat(
          broker.bootstrap,
          ['-P', '-t', topic, '-p', '0', '-K', '\t', '-H', 'origin=kcat', '-z', codec, '-X', 'linger.ms=50'],
          lines.join('\n'),
        );
        const records = await readAll(broker.bootstrap, topic, [0], 200);
        records.forEach((record, i) => {
          expect(record.offset).toBe(i);
          expect(record.key).toBe(`key-${i}`);
          expect(record.value).toBe(`value ${i} from kcat`);
          expect(record.headers.map((header) => [header.key, header.value?.toString()])).toEqual([
            ['origin', 'kcat'],
          ]);
        });
      });
    }

    it('kafkajs, gzip and idempotent: every message in order', async () => {
      const topic = 'from-kafkajs';
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      for (let round = 0; round < 5; round++) {
        await producer.send({
          topic,
          acks: -1,
          compression: round % 2 === 0 ? CompressionTypes.GZIP : CompressionTypes.None,
          messages: Array.from({ length: 100 }, (_, i) => ({
            key: `kjs-${round}-${i}`,
            value: `kafkajs ${round * 100 + i}`,
            partition: 0,
            headers: { round: String(round) },
            timestamp: String(1_700_000_000_000 + i),
          })),
        });
      }
      await producer.disconnect();
      const records = await readAll(broker.bootstrap, topic, [0], 500);
      records.forEach((record, n) => {
        expect(record.value).toBe(`kafkajs ${n}`);
        expect(record.key).toBe(`kjs-${Math.floor(n / 100)}-${n % 100}`);
        expect(record.timestamp).toBe(1_700_000_000_000 + (n % 100));
        expect(record.headers[0].value?.toString()).toBe(String(Math.floor(n / 100)));
      });
    });
  },
);

// Default ranges: Metadata up to v2 only.
describeWithMockCluster(
  "the consumer reads what kcat writes to librdkafka's mock cluster",
  { lifetimeSeconds: 300 },
  (mock) => {
    it('reads all three partitions, led by three brokers, with the default API ranges', async () => {
      const lines = Array.from({ length: 300 }, (_, i) => `mock-key-${i}\tmock ${i}`);
      await kcat(
        mock.bootstrap,
        ['-P', '-t', 't', '-K', '\t', '-z', 'lz4', '-X', 'linger.ms=20'],
        lines.join('\n'),
      );
      const records = await readAll(mock.bootstrap, 't', [0, 1, 2], 300);
      expect(new Set(records.map((record) => record.partition))).toEqual(new Set([0, 1, 2]));
      const values = records.map((record) => record.value).sort();
      expect(values).toEqual(lines.map((line) => line.split('\t')[1]).sort());
      for (const partition of [0, 1, 2]) {
        const offsets = records
          .filter((record) => record.partition === partition)
          .map((record) => record.offset);
        expect(offsets).toEqual(offsets.map((_, i) => i));
      }
    });
  },
);
