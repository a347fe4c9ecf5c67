import { runCommand } from '@sluice/test-support';
import { describeWithMockCluster } from '@sluice/test-support/vitest';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  Apis,
  type CompressionName,
  encodeRecordBatch,
  type MetadataResponse,
  type RecordInput,
} from '../../src/index.js';
import { KafkaConnection } from './kafka-connection.js';

/**
 * Slow suite: batches Sluice encodes, in every compression, are produced with a raw Produce v7 request to
 * librdkafka's mock Kafka cluster, then consumed by kcat with `check.crcs=true`. librdkafka is an
 * independent implementation of the CRC, the framing and all four codecs, so this is the check that the
 * bytes are what any Kafka client expects.
 */

const TOPIC = 't';
const CODECS: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const MOCK_LIFETIME_SECONDS = 300;
const T0 = 1_700_000_000_000;

interface KcatMessage {
  offset: number;
  tstype: string;
  ts: number;
  key: string | null;
  payload: string | null;
  headers?: (string | null)[];
}

/** A field of kcat's JSON (read as latin1) back as the bytes it stands for. */
function bytesOf(text: string | null | undefined): Buffer | null {
  return text === null || text === undefined ? null : Buffer.from(text, 'latin1');
}

function asBuffer(value: Buffer | string | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/** Records with binary and text keys and values, nulls, empty fields, headers and varied timestamps. */
function recordsFor(compression: CompressionName, count: number, seed: number): RecordInput[] {
  const samples = fc.sample(
    fc.record({
      key: fc.oneof(
        fc.constant(null),
        fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes)),
      ),
      value: fc.oneof(
        fc.constant(null),
        fc.string({ maxLength: 200, unit: 'grapheme' }),
        fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      ),
      headers: fc.array(
        fc.record({
          key: fc.string({ minLength: 1, maxLength: 10, unit: 'grapheme-ascii' }),
          value: fc.oneof(
            fc.constant(null),
            fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.from(bytes)),
          ),
        }),
        { maxLength: 3 },
      ),
      timestampDelta: fc.integer({ min: -5000, max: 5000 }),
    }),
    { seed, numRuns: count },
  );
  return samples.map((sample, i) => ({
    key: i === 0 ? `first ${compression} record` : sample.key,
    value: sample.value,
    headers: sample.headers,
    timestamp: T0 + i * 10 + sample.timestampDelta,
  }));
}

// librdkafka 2.0.2's mock advertises Metadata only up to v2; v4 is what Kafka clients send.
describeWithMockCluster(
  "librdkafka's mock cluster and kcat read what Sluice produces",
  { lifetimeSeconds: MOCK_LIFETIME_SECONDS, apiVersions: ['3:0:4'] },
  (cluster) => {
    let bootstrap: KafkaConnection;
    let metadata: MetadataResponse;
    const leaders = new Map<number, KafkaConnection>();

    beforeAll(async () => {
      const [host, port] = cluster.bootstrap.split(',')[0].split(':');
      bootstrap = await KafkaConnection.open(host, Number(port));
      metadata = await bootstrap.request(Apis.Metadata, 4, {
        topics: [{ name: TOPIC }],
        allowAutoTopicCreation: false,
      });
    });

    afterAll(async () => {
      for (const connection of leaders.values()) connection.close();
      bootstrap?.close();
    });

    /** A connection to the leader of `partition`, found through Metadata v4. */
    async function leaderOf(partition: number): Promise<KafkaConnection> {
      const topic = metadata.topics.find((candidate) => candidate.name === TOPIC)!;
      expect(topic.errorCode).toBe(0);
      const leaderId = topic.partitions.find((candidate) => candidate.partitionIndex === partition)!.leaderId;
      let connection = leaders.get(leaderId);
      if (!connection) {
        const broker = metadata.brokers.find((candidate) => candidate.nodeId === leaderId)!;
        connection = await KafkaConnection.open(broker.host, broker.port);
        leaders.set(leaderId, connection);
      }
      return connection;
    }

    /** Produces one batch with Produce v7 (acks=all) and returns the base offset the leader gave it. */
    async function produce(partition: number, batch: Buffer): Promise<bigint> {
      const connection = await leaderOf(partition);
      const response = await connection.request(Apis.Produce, 7, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: batch }] }],
      });
      const result = response.responses[0].partitionResponses[0];
      expect(result.errorCode, `produce error ${result.errorCode}`).toBe(0);
      return result.baseOffset;
    }

    async function consume(partition: number): Promise<{ messages: KcatMessage[]; stderr: string }> {
      const { stdout, stderr } = await runCommand('kcat', [
        '-C',
        '-b',
        cluster.bootstrap,
        '-t',
        TOPIC,
        '-p',
        String(partition),
        '-o',
        'beginning',
        '-e',
        '-q',
        '-J',
        '-X',
        'check.crcs=true',
      ]);
      // latin1: one character per byte, so that binary keys and values survive as kcat printed them.
      const messages = stdout
        .toString('latin1')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as KcatMessage);
      return { messages, stderr };
    }

    it('consumes every record of every compression type with CRCs checked', async () => {
      const partition = 0;
      const expected: { offset: number; record: RecordInput }[] = [];
      for (const compression of CODECS) {
        // A small batch, and one large enough for several snappy (32 KiB) and lz4 (256 KiB) blocks.
        for (const [count, seed] of [
          [20, 1],
          [4000, 2],
        ]) {
          const records = recordsFor(compression, count, seed);
          const baseOffset = await produce(partition, encodeRecordBatch({ compression, records }));
          records.forEach((record, i) => {
            expected.push({ offset: Number(baseOffset) + i, record });
          });
        }
      }

      const { messages, stderr } = await consume(partition);
      expect(stderr).not.toMatch(/ERROR|CRC/);
      expect(messages).toHaveLength(expected.length);
      messages.forEach((message, i) => {
        const { offset, record } = expected[i];
        const where = `record at offset ${offset}`;
        expect(message.offset, where).toBe(offset);
        expect(message.tstype, where).toBe('create');
        expect(message.ts, where).toBe(record.timestamp);
        expect(bytesOf(message.key), where).toEqual(asBuffer(record.key));
        expect(bytesOf(message.payload), where).toEqual(asBuffer(record.value));
        const headers = message.headers ?? [];
        const actualHeaders = [];
        for (let h = 0; h < headers.length; h += 2) {
          actualHeaders.push({ key: bytesOf(headers[h])!.toString('utf8'), value: bytesOf(headers[h + 1]) });
        }
        expect(actualHeaders, where).toEqual(
          (record.headers ?? []).map((header) => ({ key: header.key, value: asBuffer(header.value) })),
        );
      });
    });

    it('has kcat reject a batch whose CRC does not match, so the check above is real', async () => {
      const partition = 1;
      const batch = encodeRecordBatch({ records: [{ key: 'k', value: 'value before corruption' }] });
      batch[batch.indexOf('before')] = 0x42; // "b" -> "B", CRC left as it was
      await produce(partition, batch); // the mock broker stores it without checking
      const { messages, stderr } = await consume(partition);
      expect(stderr).toMatch(/failed CRC32C check/);
      expect(messages).toEqual([]);
    });
  },
);
