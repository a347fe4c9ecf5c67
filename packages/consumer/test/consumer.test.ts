import * as sluiceBroker from '@sluice/broker';
import { Producer, serializers } from '@sluice/producer';
import { type InProcessBroker, startSluiceBroker } from '@sluice/test-support';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Consumer,
  type ConsumerBatch,
  type ConsumerOptions,
  type ConsumerRecord,
  deserializers,
  NoOffsetForPartitionError,
} from '../src/index.js';

const logger = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });

/** The next `count` records of the consumer's iteration. */
async function take<Key, Value>(
  consumer: Consumer<Key, Value>,
  count: number,
  timeoutMs = 10_000,
): Promise<ConsumerRecord<Key, Value>[]> {
  const records: ConsumerRecord<Key, Value>[] = [];
  if (count === 0) return records;
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const record of consumer.records({ signal })) {
    records.push(record);
    if (records.length === count) break;
  }
  if (records.length < count)
    throw new Error(`got ${records.length} of ${count} records within ${timeoutMs} ms`);
  return records;
}

describe('Consumer (assign mode) against a Sluice broker', () => {
  let broker: InProcessBroker<sluiceBroker.Broker>;
  let producer: Producer;
  const consumers: Consumer<unknown, unknown>[] = [];

  beforeAll(async () => {
    broker = await startSluiceBroker(sluiceBroker, { 'num.partitions': '2' });
    producer = new Producer({ bootstrapServers: broker.bootstrap, logger });
  });

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.close()));
    await producer?.close();
    await broker?.stop();
  });

  function consumer<Key = Buffer, Value = Buffer>(
    options: Partial<ConsumerOptions<Key, Value>> = {},
  ): Consumer<Key, Value> {
    const created = new Consumer<Key, Value>({ bootstrapServers: broker.bootstrap, logger, ...options });
    consumers.push(created as Consumer<unknown, unknown>);
    return created;
  }

  async function produce(topic: string, partition: number, values: string[]): Promise<void> {
    await producer.send({
      topic,
      messages: values.map((value, i) => ({ key: `k${i}`, value, partition, headers: { i: String(i) } })),
    });
  }

  it('reads the assigned partitions from the offsets given, in order, with keys, headers and timestamps', async () => {
    const before = Date.now();
    await produce('ordered', 0, ['a0', 'a1', 'a2', 'a3']);
    await produce('ordered', 1, ['b0', 'b1']);
    const reader = consumer({
      keyDeserializer: deserializers.string,
      valueDeserializer: deserializers.string,
    });
    reader.assign([
      { topic: 'ordered', partition: 0, offset: 1 },
      { topic: 'ordered', partition: 1, offset: 'earliest' },
    ]);
    const records = await take(reader, 5);
    const byPartition = (partition: number) => records.filter((record) => record.partition === partition);
    expect(byPartition(0).map((record) => [record.offset, record.key, record.value])).toEqual([
      [1, 'k1', 'a1'],
      [2, 'k2', 'a2'],
      [3, 'k3', 'a3'],
    ]);
    expect(byPartition(1).map((record) => record.value)).toEqual(['b0', 'b1']);
    expect(byPartition(1)[1].headers.map((header) => [header.key, header.value?.toString()])).toEqual([
      ['i', '1'],
    ]);
    expect(records.every((record) => record.timestamp >= before - 1 && record.timestamp <= Date.now())).toBe(
      true,
    );
    expect(reader.position({ topic: 'ordered', partition: 0 })).toBe(4);
    expect(reader.position({ topic: 'ordered', partition: 1 })).toBe(2);
  });

  it("starts where autoOffsetReset says: 'latest' skips what is there, 'earliest' reads it", async () => {
    await produce('reset', 0, ['old']);
    const latest = consumer({ autoOffsetReset: 'latest', valueDeserializer: deserializers.string });
    latest.assign([{ topic: 'reset', partition: 0 }]);
    await expect.poll(() => latest.position({ topic: 'reset', partition: 0 })).toBe(1);
    await produce('reset', 0, ['new']);
    expect((await take(latest, 1)).map((record) => record.value)).toEqual(['new']);

    const earliest = consumer({ autoOffsetReset: 'earliest', valueDeserializer: deserializers.string });
    earliest.assign([{ topic: 'reset', partition: 0 }]);
    expect((await take(earliest, 2)).map((record) => record.value)).toEqual(['old', 'new']);
  });

  it("reports NoOffsetForPartitionError when there is no offset and autoOffsetReset is 'none'", async () => {
    const strict = consumer({ autoOffsetReset: 'none' });
    strict.assign([{ topic: 'reset', partition: 1 }]);
    await expect(take(strict, 1)).rejects.toSatisfy(NoOffsetForPartitionError.isInstance);
  });

  it('resets a position that fell out of range as autoOffsetReset says', async () => {
    await produce('out-of-range', 0, ['r0', 'r1']);
    const reader = consumer({ autoOffsetReset: 'earliest', valueDeserializer: deserializers.string });
    reader.assign([{ topic: 'out-of-range', partition: 0, offset: 1_000 }]);
    expect((await take(reader, 2)).map((record) => record.value)).toEqual(['r0', 'r1']);
  });

  it('seek moves the position and drops data fetched for the old one', async () => {
    await produce('seeking', 0, ['s0', 's1', 's2', 's3', 's4']);
    const reader = consumer({ valueDeserializer: deserializers.string });
    reader.assign([{ topic: 'seeking', partition: 0, offset: 0 }]);
    expect((await take(reader, 2)).map((record) => record.value)).toEqual(['s0', 's1']);
    reader.seek({ topic: 'seeking', partition: 0, offset: 4 });
    expect((await take(reader, 1)).map((record) => record.value)).toEqual(['s4']);
    reader.seek({ topic: 'seeking', partition: 0, offset: 'earliest' });
    expect((await take(reader, 1)).map((record) => record.value)).toEqual(['s0']);
  });

  it('pause holds back a partition while the others go on; resume lets it continue', async () => {
    await produce('pausing', 0, ['p0']);
    await produce('pausing', 1, ['q0']);
    const reader = consumer({ valueDeserializer: deserializers.string });
    reader.assign([
      { topic: 'pausing', partition: 0, offset: 0 },
      { topic: 'pausing', partition: 1, offset: 0 },
    ]);
    reader.pause([{ topic: 'pausing', partition: 0 }]);
    expect(reader.paused()).toEqual([{ topic: 'pausing', partition: 0 }]);
    expect((await take(reader, 1)).map((record) => record.value)).toEqual(['q0']);
    await expect(take(reader, 1, 300)).rejects.toThrow('got 0 of 1');
    reader.resume([{ topic: 'pausing', partition: 0 }]);
    expect((await take(reader, 1)).map((record) => record.value)).toEqual(['p0']);
  });

  it('long-polls: a record produced while the consumer waits arrives without waiting out fetchMaxWaitMs', async () => {
    const reader = consumer({
      fetchMaxWaitMs: 10_000,
      requestTimeoutMs: 30_000,
      valueDeserializer: deserializers.string,
    });
    reader.assign([{ topic: 'long-poll', partition: 0, offset: 0 }]);
    const arriving = take(reader, 1, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const producedAt = Date.now();
    await produce('long-poll', 0, ['late']);
    const [record] = await arriving;
    expect(record.value).toBe('late');
    expect(Date.now() - producedAt).toBeLessThan(2_000);
  });

  it('lets the broker hold a fetch until fetchMinBytes are there or fetchMaxWaitMs passes', async () => {
    await produce('min-bytes', 0, ['tiny']);
    const reader = consumer({
      fetchMinBytes: 1_000_000,
      fetchMaxWaitMs: 400,
      valueDeserializer: deserializers.string,
    });
    const started = Date.now();
    reader.assign([{ topic: 'min-bytes', partition: 0, offset: 0 }]);
    expect((await take(reader, 1)).map((record) => record.value)).toEqual(['tiny']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it('reads everything with a partition fetch size smaller than one batch', async () => {
    const values = Array.from({ length: 300 }, (_, i) => `${i}:${'z'.repeat(100)}`);
    await produce('small-fetches', 0, values);
    const reader = consumer({ maxPartitionFetchBytes: 200, valueDeserializer: deserializers.string });
    reader.assign([{ topic: 'small-fetches', partition: 0, offset: 0 }]);
    expect((await take(reader, 300)).map((record) => record.value)).toEqual(values);
  });

  it('hands eachBatch at most maxPollRecords records of one partition, and gives a failed batch again', async () => {
    const values = Array.from({ length: 250 }, (_, i) => `e${i}`);
    await produce('batches', 0, values);
    const reader = consumer({ maxPollRecords: 100, valueDeserializer: deserializers.string });
    reader.assign([{ topic: 'batches', partition: 0, offset: 0 }]);
    const seen: string[] = [];
    const sizes: number[] = [];
    let failedOnce = false;
    const controller = new AbortController();
    const failure = await reader
      .eachBatch(
        (batch: ConsumerBatch<Buffer, string>) => {
          if (!failedOnce && batch.records[0].offset === 100) {
            failedOnce = true;
            throw new Error('handler failed');
          }
        },
        { signal: controller.signal },
      )
      .catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe('handler failed');
    expect(reader.position({ topic: 'batches', partition: 0 })).toBe(100);
    await reader.eachBatch(
      (batch) => {
        sizes.push(batch.records.length);
        seen.push(...batch.records.map((record) => record.value!));
        expect(batch.highWatermark).toBe(250);
        if (seen.length === 150) controller.abort();
      },
      { signal: controller.signal },
    );
    expect(seen).toEqual(values.slice(100));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
  });

  it('reads JSON and msgpack values written with the matching serializers', async () => {
    const json = new Producer<string, unknown>({
      bootstrapServers: broker.bootstrap,
      keySerializer: serializers.string,
      valueSerializer: serializers.msgpack,
      logger,
    });
    await json.send({
      topic: 'typed',
      messages: [
        { key: 'order-1', value: { total: 12.5, lines: [1, 2] }, partition: 0 },
        { key: 'gone', value: null, partition: 0 },
      ],
    });
    await json.close();
    const reader = consumer<string, unknown>({
      keyDeserializer: deserializers.string,
      valueDeserializer: deserializers.msgpack,
    });
    reader.assign([{ topic: 'typed', partition: 0, offset: 0 }]);
    const records = await take(reader, 2);
    expect(records.map((record) => [record.key, record.value])).toEqual([
      ['order-1', { total: 12.5, lines: [1, 2] }],
      ['gone', null],
    ]);
  });

  it('reads under read_committed up to the last stable offset', async () => {
    await produce('committed', 0, ['c0', 'c1']);
    const reader = consumer({ isolationLevel: 'read_committed', valueDeserializer: deserializers.string });
    reader.assign([{ topic: 'committed', partition: 0, offset: 0 }]);
    expect((await take(reader, 2)).map((record) => record.value)).toEqual(['c0', 'c1']);
  });

  it('ends iterations when closed and refuses to be assigned afterwards', async () => {
    const reader = consumer();
    reader.assign([{ topic: 'closing', partition: 0, offset: 0 }]);
    const iteration = (async () => {
      let count = 0;
      for await (const _ of reader) count++;
      return count;
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await reader.close();
    await expect(iteration).resolves.toBe(0);
    expect(() => reader.assign([])).toThrow('the consumer is closed');
  });
});
