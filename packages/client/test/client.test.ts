import * as sluiceBroker from '@sluice/broker';
import { mockClusterUnavailableReason, startMockCluster, startSluiceBroker } from '@sluice/test-support';
import { describeOrSkip, startedForSuite } from '@sluice/test-support/vitest';
import { describe, expect, it } from 'vitest';
import {
  ClientClosedError,
  createClient,
  deserializers,
  InvalidOptionError,
  serializers,
} from '../src/index.js';

// The default logger (warn and above to stderr) reads SLUICE_LOG_LEVEL; keep the test output quiet.
process.env.SLUICE_LOG_LEVEL ??= 'silent';

describe('createClient', () => {
  const broker = startedForSuite(() => startSluiceBroker(sluiceBroker));

  it('refuses bad shared options when the client is created, naming the option', () => {
    let error: unknown;
    try {
      createClient({ bootstrapServers: 'no-port' });
    } catch (caught) {
      error = caught;
    }
    expect(InvalidOptionError.isInstance(error)).toBe(true);
    expect((error as InvalidOptionError).option).toBe('bootstrapServers');
    expect(() => createClient({ bootstrapServers: 'h:1', requestTimeoutMs: -5 })).toThrow(
      'requestTimeoutMs (request.timeout.ms) must be an integer in [1, 2147483647] ms, got -5',
    );
  });

  it('makes a producer, a consumer and an admin that share its options and may override them', async () => {
    const client = createClient({
      bootstrapServers: broker.bootstrap,
      clientId: 'shop',
      requestTimeoutMs: 12_000,
    });
    const producer = client.producer({ lingerMs: 5 });
    const consumer = client.consumer({ clientId: 'shop-reader' });
    const admin = client.admin();
    expect(producer.options).toMatchObject({ clientId: 'shop', requestTimeoutMs: 12_000, lingerMs: 5 });
    expect(consumer.options).toMatchObject({ clientId: 'shop-reader', requestTimeoutMs: 12_000 });
    expect(admin.options).toMatchObject({ clientId: 'shop', requestTimeoutMs: 12_000 });
    await client.close();
  });

  it('carries records from producer to consumer on a topic the admin created, and closes them all', async () => {
    const client = createClient({ bootstrapServers: broker.bootstrap });
    await client.admin().createTopics([{ topic: 'round-trip', numPartitions: 3 }]);
    const producer = client.producer<string, unknown>({
      keySerializer: serializers.string,
      valueSerializer: serializers.json,
    });
    const sent = await producer.send({
      topic: 'round-trip',
      messages: Array.from({ length: 30 }, (_, i) => ({ key: `user-${i % 4}`, value: { i } })),
    });
    const consumer = client.consumer<string, unknown>({
      keyDeserializer: deserializers.string,
      valueDeserializer: deserializers.json,
    });
    consumer.assign(
      [0, 1, 2].map((partition) => ({ topic: 'round-trip', partition, offset: 'earliest' as const })),
    );
    const received = new Map<
      number,
      { key: string | null; value: unknown; partition: number; offset: number }
    >();
    for await (const record of consumer.records({ signal: AbortSignal.timeout(10_000) })) {
      const value = record.value as { i: number };
      received.set(value.i, { key: record.key, value, partition: record.partition, offset: record.offset });
      if (received.size === 30) break;
    }
    for (const [i, result] of sent.entries()) {
      expect(received.get(i)).toEqual({
        key: `user-${i % 4}`,
        value: { i },
        partition: result.partition,
        offset: result.offset,
      });
    }
    await client.close();
    await expect(producer.send({ topic: 'round-trip', messages: [{ value: 1 }] })).rejects.toSatisfy(
      ClientClosedError.isInstance,
    );
    expect(() => client.producer()).toThrow('the Sluice client is closed');
  });
});

describeOrSkip("createClient against librdkafka's mock cluster", mockClusterUnavailableReason(), () => {
  it('carries keyed records from producer to consumer across its three brokers', async () => {
    const mock = await startMockCluster(120);
    const client = createClient({ bootstrapServers: mock.bootstrap });
    try {
      const producer = client.producer<string, string>({
        keySerializer: serializers.string,
        valueSerializer: serializers.string,
        compression: 'zstd',
      });
      const sent = await producer.send({
        topic: 't',
        messages: Array.from({ length: 60 }, (_, i) => ({ key: `key-${i}`, value: `value-${i}` })),
      });
      expect(new Set(sent.map((result) => result.partition)).size).toBe(3);
      const consumer = client.consumer<string, string>({
        keyDeserializer: deserializers.string,
        valueDeserializer: deserializers.string,
      });
      consumer.assign([0, 1, 2].map((partition) => ({ topic: 't', partition, offset: 'earliest' as const })));
      const received = new Map<string, { partition: number; offset: number; value: string | null }>();
      for await (const record of consumer.records({ signal: AbortSignal.timeout(20_000) })) {
        received.set(record.key!, {
          partition: record.partition,
          offset: record.offset,
          value: record.value,
        });
        if (received.size === 60) break;
      }
      for (const [i, result] of sent.entries()) {
        expect(received.get(`key-${i}`)).toEqual({
          partition: result.partition,
          offset: result.offset,
          value: `value-${i}`,
        });
      }
    } finally {
      await client.close();
      await mock.stop();
    }
  });
});
