import { startedForSuite } from '@sluice/test-support/vitest';
import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kcat, startBroker } from './helpers.js';
import { fetchWithKafkajs, kafkajs } from './kafkajs-client.js';
import { consumeAll } from './kcat-format.js';

describe('kafkajs against a Sluice broker', () => {
  const sluice = startedForSuite(() => startBroker());

  it('produces, with and without gzip, and gets the offsets back', async () => {
    const producer = kafkajs(sluice.bootstrap).producer();
    await producer.connect();
    try {
      const first = await producer.send({
        topic: 'kafkajs-plain',
        acks: 1,
        messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }],
      });
      expect(first).toEqual([
        expect.objectContaining({ topicName: 'kafkajs-plain', partition: 0, errorCode: 0, baseOffset: '0' }),
      ]);
      const second = await producer.send({
        topic: 'kafkajs-plain',
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: [{ value: 'd' }, { value: 'e' }],
      });
      expect(second[0].baseOffset).toBe('3');
    } finally {
      await producer.disconnect();
    }
    const values = (await consumeAll(sluice.bootstrap, 'kafkajs-plain')).map((record) =>
      record.value?.toString(),
    );
    expect(values).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('produces idempotently: sequence numbers accepted, nothing duplicated', async () => {
    const producer = kafkajs(sluice.bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let batch = 0; batch < 20; batch++) {
        await producer.send({
          topic: 'kafkajs-idempotent',
          acks: -1,
          messages: Array.from({ length: 50 }, (_, i) => ({
            key: `k${i % 7}`,
            value: `batch ${batch} record ${i}`,
          })),
        });
      }
    } finally {
      await producer.disconnect();
    }
    const records = await consumeAll(sluice.bootstrap, 'kafkajs-idempotent');
    expect(records).toHaveLength(1000);
    expect(records[999].value?.toString()).toBe('batch 19 record 49');
  });

  it('administers topics: create, list, describe configs, add partitions, delete', async () => {
    const admin = kafkajs(sluice.bootstrap).admin();
    await admin.connect();
    try {
      expect(
        await admin.createTopics({
          topics: [
            {
              topic: 'admin-made',
              numPartitions: 3,
              configEntries: [{ name: 'retention.ms', value: '3600000' }],
            },
          ],
        }),
      ).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'admin-made' }] })).toBe(false);
      expect(await admin.listTopics()).toContain('admin-made');
      const metadata = await admin.fetchTopicMetadata({ topics: ['admin-made'] });
      expect(metadata.topics[0].partitions.map((partition) => partition.partitionId).sort()).toEqual([
        0, 1, 2,
      ]);

      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2, name: 'admin-made', configNames: ['retention.ms', 'segment.bytes'] }],
      });
      const entries = Object.fromEntries(
        described.resources[0].configEntries.map((entry) => [entry.configName, entry.configValue]),
      );
      expect(entries).toEqual({ 'retention.ms': '3600000', 'segment.bytes': '1073741824' });

      await admin.createPartitions({ topicPartitions: [{ topic: 'admin-made', count: 5 }] });
      const grown = await admin.fetchTopicMetadata({ topics: ['admin-made'] });
      expect(grown.topics[0].partitions).toHaveLength(5);
      await expect(
        admin.createPartitions({ topicPartitions: [{ topic: 'admin-made', count: 2 }] }),
      ).rejects.toThrow(/higher than the requested 2|INVALID_PARTITIONS|partitions/i);

      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          { type: 2, name: 'admin-made', configEntries: [{ name: 'cleanup.policy', value: 'delete' }] },
        ],
      });
      const altered = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2, name: 'admin-made', configNames: ['cleanup.policy', 'retention.ms'] }],
      });
      const alteredEntries = Object.fromEntries(
        altered.resources[0].configEntries.map((entry) => [entry.configName, entry.configValue]),
      );
      // AlterConfigs replaces the whole set: retention.ms is back to the broker's default.
      expect(alteredEntries).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '604800000' });

      await admin.deleteTopics({ topics: ['admin-made'] });
      expect(await admin.listTopics()).not.toContain('admin-made');
    } finally {
      await admin.disconnect();
    }
  });

  it('records written by kafkajs are read by kcat byte for byte', async () => {
    const producer = kafkajs(sluice.bootstrap).producer();
    await producer.connect();
    const sent = Array.from({ length: 50 }, (_, i) => ({
      key: i % 5 === 0 ? null : Buffer.from([i, 0, 255, 10, 32]),
      value: Buffer.from(`värde ${i} \u2603 ${'x'.repeat(i)}`),
      headers: { origin: 'kafkajs', index: String(i) },
      timestamp: String(1_700_000_000_000 + i * 1000),
    }));
    try {
      await producer.send({ topic: 'to-kcat', acks: -1, messages: sent });
    } finally {
      await producer.disconnect();
    }
    const records = await consumeAll(sluice.bootstrap, 'to-kcat');
    expect(records).toHaveLength(sent.length);
    records.forEach((record, i) => {
      expect(record.key).toEqual(sent[i].key);
      expect(record.value).toEqual(sent[i].value);
      expect(record.timestamp).toBe(Number(sent[i].timestamp));
      expect(record.headers).toBe(`origin=kafkajs,index=${i}`);
    });
  });

  it('records written by kcat are read by kafkajs byte for byte', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `key-${i}\u0001value ${i} \u00e9\u4e16`);
    const before = Date.now();
    await kcat(
      sluice.bootstrap,
      ['-P', '-t', 'from-kcat', '-K', '\u0001', '-H', 'origin=kcat', '-z', 'gzip'],
      `${lines.join('\n')}\n`,
    );
    const after = Date.now();
    const records = await fetchWithKafkajs(sluice.bootstrap, 'from-kcat');
    expect(records).toHaveLength(lines.length);
    records.forEach((record, i) => {
      const [key, value] = lines[i].split('\u0001');
      expect(record.offset).toBe(String(i));
      expect(record.key).toEqual(Buffer.from(key));
      expect(record.value).toEqual(Buffer.from(value));
      expect(record.headers.origin).toEqual(Buffer.from('kcat'));
      expect(Number(record.timestamp)).toBeGreaterThanOrEqual(before - 5);
      expect(Number(record.timestamp)).toBeLessThanOrEqual(after + 5);
    });
  });
});
