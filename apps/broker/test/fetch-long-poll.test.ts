import { Apis, decodeRecordBatches, encodeRecordBatch } from '@sluice/protocol';
import { startedForSuite } from '@sluice/test-support/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from './helpers.js';
import { RawClient } from './raw-client.js';

describe('fetch long polling', () => {
  const sluice = startedForSuite(() => startBroker());
  let client: RawClient;

  beforeAll(async () => {
    client = await RawClient.connect(sluice.broker.port);
    await client.request(Apis.CreateTopics, 3, {
      topics: [{ name: 'polled', numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 5000,
    });
  });

  afterAll(async () => {
    client.close();
  });

  const fetchFrom = (connection: RawClient, offset: bigint, minBytes: number, maxWaitMs: number) =>
    connection.request(Apis.Fetch, 11, {
      replicaId: -1,
      maxWaitMs,
      minBytes,
      maxBytes: 1_000_000,
      topics: [
        {
          topic: 'polled',
          partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1_000_000 }],
        },
      ],
    });

  const produce = (connection: RawClient, values: string[]) =>
    connection.request(Apis.Produce, 7, {
      acks: 1,
      timeoutMs: 1000,
      topicData: [
        {
          name: 'polled',
          partitionData: [
            { index: 0, records: encodeRecordBatch({ records: values.map((value) => ({ value })) }) },
          ],
        },
      ],
    });

  it('answers at once when min_bytes is 0', async () => {
    const started = Date.now();
    const response = await fetchFrom(client, 0n, 0, 5000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(response.responses[0].partitions[0].records?.length).toBe(0);
  });

  it('waits max_wait_ms when nothing arrives', async () => {
    const started = Date.now();
    await fetchFrom(client, 0n, 1, 400);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('is woken by an append before max_wait_ms', async () => {
    const consumer = await RawClient.connect(sluice.broker.port);
    try {
      const started = Date.now();
      const waiting = fetchFrom(consumer, 0n, 1, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await produce(client, ['wake up']);
      const response = await waiting;
      expect(Date.now() - started).toBeLessThan(5000);
      expect(response.responses[0].partitions[0].records?.length).toBeGreaterThan(0);
      expect(response.responses[0].partitions[0].highWatermark).toBe(1n);
    } finally {
      consumer.close();
    }
  });

  it('keeps waiting until min_bytes have arrived', async () => {
    const consumer = await RawClient.connect(sluice.broker.port);
    try {
      const waiting = fetchFrom(consumer, 1n, 2000, 10_000);
      let answered = false;
      void waiting.then(() => {
        answered = true;
      });
      await produce(client, ['small']);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(answered).toBe(false);
      await produce(client, ['x'.repeat(3000)]);
      const response = await waiting;
      expect(response.responses[0].partitions[0].records!.length).toBeGreaterThanOrEqual(2000);
    } finally {
      consumer.close();
    }
  });

  it('is woken by a large append, whose turn comes after the produce request was handled', async () => {
    const consumer = await RawClient.connect(sluice.broker.port);
    try {
      const end = (await fetchFrom(consumer, 0n, 0, 0)).responses[0].partitions[0].highWatermark;
      const started = Date.now();
      const waiting = fetchFrom(consumer, end, 1, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // 300 KiB in one batch: the log takes it at the end of the event loop's turn (AppendPipeline).
      const produced = await produce(
        client,
        Array.from({ length: 300 }, () => 'x'.repeat(1000)),
      );
      expect(produced.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: end });
      const response = await waiting;
      expect(Date.now() - started).toBeLessThan(5000);
      expect(response.responses[0].partitions[0].records!.length).toBeGreaterThan(300_000);
      expect(response.responses[0].partitions[0].highWatermark).toBe(end + 300n);
    } finally {
      consumer.close();
    }
  });

  it('appends pipelined produce requests read in one go in order, and a fetch waiting on them sees them all', async () => {
    const consumer = await RawClient.connect(sluice.broker.port);
    try {
      const end = (await fetchFrom(consumer, 0n, 0, 0)).responses[0].partitions[0].highWatermark;
      const log = sluice.broker.getPartition('polled', 0)!.log;
      const groupedBefore = log.groupedAppends;
      const waiting = fetchFrom(consumer, end, 5 * 4 * 2000, 10_000);
      // Five requests in one write: the broker reads them together, and the log writes them as one group.
      client.socket.cork();
      const produced = Array.from({ length: 5 }, (_, request) =>
        produce(
          client,
          Array.from({ length: 4 }, (_, index) => `${request}-${index}-${'v'.repeat(2000)}`),
        ),
      );
      process.nextTick(() => client.socket.uncork());
      const responses = await Promise.all(produced);
      expect(responses.map((response) => response.responses[0].partitionResponses[0].baseOffset)).toEqual(
        [0n, 4n, 8n, 12n, 16n].map((delta) => end + delta),
      );
      expect(log.groupedAppends - groupedBefore).toBeGreaterThanOrEqual(2);
      const fetched = (await waiting).responses[0].partitions[0];
      expect(fetched.highWatermark).toBe(end + 20n);
      const values = decodeRecordBatches(fetched.records!).flatMap((batch) =>
        batch.records.map((record) => record.value!.toString().slice(0, 3)),
      );
      expect(values).toEqual(Array.from({ length: 20 }, (_, at) => `${Math.floor(at / 4)}-${at % 4}`));
    } finally {
      consumer.close();
    }
  });
});
