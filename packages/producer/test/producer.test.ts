import * as sluiceBroker from '@sluice/broker';
import { KafkaError } from '@sluice/protocol';
import { type InProcessBroker, startSluiceBroker } from '@sluice/test-support';
import { unpack } from 'msgpackr';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Producer,
  type ProducerOptions,
  partitionForKey,
  RecordTooLargeError,
  serializers,
} from '../src/index.js';
import { readTopic, readTopicBatches, readTopicValues } from './read-topic.js';

const logger = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });

describe('Producer against a Sluice broker', () => {
  let broker: InProcessBroker<sluiceBroker.Broker>;
  const producers: Producer<unknown, unknown>[] = [];

  beforeAll(async () => {
    broker = await startSluiceBroker(sluiceBroker, { 'num.partitions': '3', 'message.max.bytes': '20000' });
  });

  afterAll(async () => {
    await Promise.all(producers.map((producer) => producer.close({ timeoutMs: 5_000 })));
    await broker?.stop();
  });

  function producer<Key = Buffer | string | null, Value = Buffer | string | null>(
    options: Partial<ProducerOptions<Key, Value>> = {},
  ): Producer<Key, Value> {
    const created = new Producer<Key, Value>({ bootstrapServers: broker.bootstrap, logger, ...options });
    producers.push(created as Producer<unknown, unknown>);
    return created;
  }

  for (const acks of ['all', 1] as const) {
    it(`resolves each message with the partition and offset the broker gave it (acks=${acks})`, async () => {
      const topic = `offsets-acks-${acks}`;
      const sender = producer({ acks });
      const first = await sender.send({
        topic,
        messages: [0, 1, 2, 3].map((i) => ({ value: `m${i}`, partition: i % 2 })),
      });
      expect(first).toEqual([
        { topic, partition: 0, offset: 0 },
        { topic, partition: 1, offset: 0 },
        { topic, partition: 0, offset: 1 },
        { topic, partition: 1, offset: 1 },
      ]);
      const second = await sender.send({ topic, messages: [{ value: 'm4', partition: 0 }] });
      expect(second).toEqual([{ topic, partition: 0, offset: 2 }]);
      const stored = await readTopicValues(broker.bootstrap, topic);
      expect(stored.get(0)).toEqual(['m0', 'm2', 'm4']);
      expect(stored.get(1)).toEqual(['m1', 'm3']);
    });
  }

  it('resolves with offset -1 for acks=0, and the records still arrive', async () => {
    const sender = producer({ acks: 0 });
    expect(sender.idempotent).toBe(false);
    const results = await sender.send({ topic: 'acks-0', messages: [{ value: 'fire', partition: 2 }] });
    expect(results).toEqual([{ topic: 'acks-0', partition: 2, offset: -1 }]);
    await sender.flush();
    await expect
      .poll(async () => (await readTopicValues(broker.bootstrap, 'acks-0')).get(2))
      .toEqual(['fire']);
  });

  for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`writes ${compression} batches the broker stores and that decode back`, async () => {
      const topic = `compressed-${compression}`;
      const sender = producer({ compression });
      const messages = Array.from({ length: 500 }, (_, i) => ({
        key: `key-${i % 7}`,
        value: `value ${i} ${'x'.repeat(i % 50)}`,
        headers: { index: String(i) },
      }));
      await sender.send({ topic, messages });
      const batches = [...(await readTopicBatches(broker.bootstrap, topic)).values()].flat();
      expect(batches.length).toBeGreaterThan(0);
      expect(batches.every((batch) => batch.compression === compression)).toBe(true);
      const records = batches.flatMap((batch) => batch.records);
      expect(records).toHaveLength(500);
      const byIndex = new Map(records.map((record) => [Number(record.headers[0].value!.toString()), record]));
      for (const [i, message] of messages.entries()) {
        const record = byIndex.get(i)!;
        expect(record.key!.toString()).toBe(message.key);
        expect(record.value!.toString()).toBe(message.value);
      }
    });
  }

  it('serializes keys and values as strings, JSON and msgpack', async () => {
    const json = producer<string, unknown>({
      keySerializer: serializers.string,
      valueSerializer: serializers.json,
    });
    await json.send({
      topic: 'json',
      messages: [
        { key: 'k', value: { order: 7, items: ['a', 'b'] } },
        { key: 'k', value: null },
      ],
    });
    const jsonRecords = [...(await readTopic(broker.bootstrap, 'json')).values()].flat();
    expect(
      jsonRecords.map((record) => (record.value === null ? null : JSON.parse(record.value.toString()))),
    ).toEqual([{ order: 7, items: ['a', 'b'] }, null]);

    const msgpack = producer<Buffer, unknown>({
      keySerializer: serializers.buffer,
      valueSerializer: serializers.msgpack,
    });
    await msgpack.send({
      topic: 'msgpack',
      messages: [{ key: Buffer.from([1, 2]), value: { n: 1, nested: { list: [1, 2, 3] } } }],
    });
    const [record] = [...(await readTopic(broker.bootstrap, 'msgpack')).values()].flat();
    expect([...record.key!]).toEqual([1, 2]);
    expect(unpack(record.value!)).toEqual({ n: 1, nested: { list: [1, 2, 3] } });
  });

  it('puts keyed messages on murmur2(key) % partitions and keeps unkeyed ones together per batch', async () => {
    const sender = producer();
    const keyed = await sender.send({
      topic: 'keyed',
      messages: Array.from({ length: 60 }, (_, i) => ({ key: `customer-${i}`, value: String(i) })),
    });
    for (const [i, result] of keyed.entries()) {
      expect(result.partition).toBe(partitionForKey(Buffer.from(`customer-${i}`), 3));
    }
    // 100-byte values, 16 KiB batches: 2000 unkeyed records fill about 14 batches; the partition only
    // changes when a batch is full, so the records form long runs.
    const value = Buffer.alloc(100, 'u');
    const unkeyed = await sender.send({
      topic: 'unkeyed',
      messages: Array.from({ length: 2_000 }, () => ({ value })),
    });
    let runs = 1;
    for (let i = 1; i < unkeyed.length; i++) if (unkeyed[i].partition !== unkeyed[i - 1].partition) runs++;
    expect(runs).toBeLessThanOrEqual(20);
    expect(new Set(unkeyed.map((result) => result.partition)).size).toBeGreaterThan(1);
  });

  it('gathers records sent apart into one batch while lingerMs runs', async () => {
    const sender = producer({ lingerMs: 300 });
    await sender.connect();
    const sends = [];
    for (let i = 0; i < 10; i++) {
      sends.push(sender.send({ topic: 'lingering', messages: [{ value: `v${i}`, partition: 0 }] }));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(sends);
    const batches = (await readTopicBatches(broker.bootstrap, 'lingering')).get(0)!;
    expect(batches).toHaveLength(1);
    expect(batches[0].records).toHaveLength(10);
  });

  it('flush waits for everything sent before it; close refuses later sends', async () => {
    const sender = producer({ lingerMs: 60_000 });
    let acknowledged = 0;
    for (let i = 0; i < 5; i++) {
      void sender.send({ topic: 'flushed', messages: [{ value: `f${i}` }] }).then(() => acknowledged++);
    }
    await sender.flush();
    await Promise.resolve();
    expect(acknowledged).toBe(5);
    await sender.close();
    await expect(sender.send({ topic: 'flushed', messages: [{ value: 'late' }] })).rejects.toThrow(
      'the producer is closed',
    );
  });

  it('rejects a bad message before sending any of the send', async () => {
    const sender = producer({ maxRequestSizeBytes: 1_000 });
    await expect(
      sender.send({ topic: 'refused', messages: [{ value: 'fine' }, { value: 'x'.repeat(2_000) }] }),
    ).rejects.toSatisfy(RecordTooLargeError.isInstance);
    await sender.send({ topic: 'refused', messages: [{ value: 'first' }] });
    await expect(sender.send({ topic: 'refused', messages: [{ value: 'y', partition: 3 }] })).rejects.toThrow(
      'message 0: partition 3 is not in [0, 3) of refused',
    );
    expect([...(await readTopicValues(broker.bootstrap, 'refused')).values()].flat()).toEqual(['first']);
  });

  it("fails a send with the broker's error, located at its partition", async () => {
    const sender = producer({ batchSizeBytes: 65_536 });
    const error = await sender
      .send({ topic: 'too-big', messages: [{ value: 'z'.repeat(30_000), partition: 1 }] })
      .catch((failure: Error) => failure);
    expect(KafkaError.isInstance(error)).toBe(true);
    expect((error as KafkaError).errorName).toBe('MESSAGE_TOO_LARGE');
    expect((error as KafkaError & { location: string }).location).toBe('topics/too-big/partitions/1');
    // The producer goes on working after the failure (with a new producer id for the sequence gap).
    await expect(
      sender.send({ topic: 'too-big', messages: [{ value: 'small', partition: 1 }] }),
    ).resolves.toEqual([{ topic: 'too-big', partition: 1, offset: 0 }]);
  });
});
