import { Apis, decodeRecordBatches } from '@sluice/protocol';
import { startedForSuite } from '@sluice/test-support/vitest';
import { describe, expect, it } from 'vitest';
import { kcat, startBroker } from './helpers.js';
import { consumeAll } from './kcat-format.js';
import { RawClient } from './raw-client.js';

describe('kcat against a Sluice broker', () => {
  const sluice = startedForSuite(() => startBroker());

  it('lists the broker, the controller and the topics with -L', async () => {
    await kcat(sluice.bootstrap, ['-P', '-t', 'listed'], 'one\n');
    const metadata = JSON.parse((await kcat(sluice.bootstrap, ['-L', '-J'])).toString()) as {
      brokers: { id: number; name: string }[];
      controllerid: number;
      topics: { topic: string; partitions: { partition: number; leader: number }[] }[];
    };
    expect(metadata.brokers).toEqual([{ id: 1, name: sluice.bootstrap }]);
    expect(metadata.controllerid).toBe(1);
    const listed = metadata.topics.find((topic) => topic.topic === 'listed');
    expect(listed?.partitions).toEqual([expect.objectContaining({ partition: 0, leader: 1 })]);
  });

  for (const acks of ['0', '1', 'all']) {
    it(`produces with acks=${acks} and reads every record back in order`, async () => {
      const topic = `acks-${acks}`;
      const lines = Array.from({ length: 500 }, (_, i) => `record ${i} with acks=${acks}`);
      await kcat(
        sluice.bootstrap,
        ['-P', '-t', topic, '-X', `acks=${acks}`, '-X', 'linger.ms=5'],
        `${lines.join('\n')}\n`,
      );
      const records = await consumeAll(sluice.bootstrap, topic);
      expect(records.map((record) => record.value?.toString())).toEqual(lines);
      expect(records.map((record) => record.offset)).toEqual(lines.map((_, i) => i));
    });
  }

  it('produces idempotently: every record once, in order', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `idempotent ${i}`);
    await kcat(
      sluice.bootstrap,
      [
        '-P',
        '-t',
        'idempotent',
        '-X',
        'enable.idempotence=true',
        '-X',
        'linger.ms=2',
        '-X',
        'batch.num.messages=100',
      ],
      `${lines.join('\n')}\n`,
    );
    const records = await consumeAll(sluice.bootstrap, 'idempotent');
    expect(records.map((record) => record.value?.toString())).toEqual(lines);
  });

  it('keeps keys and headers', async () => {
    await kcat(
      sluice.bootstrap,
      ['-P', '-t', 'keyed', '-K', ':', '-H', 'origin=kcat', '-H', 'n=1'],
      'k1:v1\nk2:v2\n',
    );
    const records = await consumeAll(sluice.bootstrap, 'keyed');
    expect(
      records.map((record) => [record.key?.toString(), record.value?.toString(), record.headers]),
    ).toEqual([
      ['k1', 'v1', 'origin=kcat,n=1'],
      ['k2', 'v2', 'origin=kcat,n=1'],
    ]);
  });

  it('consumes from the beginning, the end, an offset and an offset from the end', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => `positioned ${i}`);
    await kcat(sluice.bootstrap, ['-P', '-t', 'positions'], `${lines.join('\n')}\n`);
    const values = async (from: string) =>
      (await consumeAll(sluice.bootstrap, 'positions', 0, from)).map((record) => record.value?.toString());
    expect(await values('beginning')).toEqual(lines);
    expect(await values('end')).toEqual([]);
    expect(await values('15')).toEqual(lines.slice(15));
    expect(await values('-3')).toEqual(lines.slice(17));
  });

  it('finds offsets by timestamp with -Q', async () => {
    await kcat(sluice.bootstrap, ['-P', '-t', 'timed'], 'early-1\nearly-2\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const between = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await kcat(sluice.bootstrap, ['-P', '-t', 'timed'], 'late-1\nlate-2\n');
    const query = async (timestamp: number) =>
      (await kcat(sluice.bootstrap, ['-Q', '-t', `timed:0:${timestamp}`])).toString();
    expect(await query(between)).toContain('timed [0] offset 2');
    expect(await query(between - 60_000)).toContain('timed [0] offset 0');
    expect(await query(Date.now() + 60_000)).toContain('timed [0] offset -1');
  });

  // librdkafka compresses with lz4 only for brokers that serve FindCoordinator, and with gzip, snappy and
  // lz4 only when Produce v0 is in range: this checks both.
  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`stores kcat's ${codec} batches as sent and serves them back`, async () => {
      const topic = `compressed-${codec}`;
      const lines = Array.from({ length: 300 }, (_, i) => `${codec} record ${i} ${'abc'.repeat(i % 17)}`);
      await kcat(
        sluice.bootstrap,
        ['-P', '-t', topic, '-z', codec, '-X', 'linger.ms=20'],
        `${lines.join('\n')}\n`,
      );
      expect((await consumeAll(sluice.bootstrap, topic)).map((record) => record.value?.toString())).toEqual(
        lines,
      );
      const client = await RawClient.connect(sluice.broker.port);
      try {
        const response = await client.request(Apis.Fetch, 11, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 10_000_000,
          topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 10_000_000 }] }],
        });
        const batches = decodeRecordBatches(response.responses[0].partitions[0].records!);
        expect(batches.length).toBeGreaterThan(0);
        expect(new Set(batches.map((batch) => batch.compression))).toEqual(new Set([codec]));
      } finally {
        client.close();
      }
    });
  }
});
