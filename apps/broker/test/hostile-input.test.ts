import { Apis, encodeRecordBatch, encodeRequestFrame, Writer } from '@sluice/protocol';
import { startedForSuite } from '@sluice/test-support/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECTION_CLOSE_REASONS } from '../src/network/connection-close-reason.js';
import { kcat, startBroker } from './helpers.js';
import { consumeAll } from './kcat-format.js';
import { RawClient } from './raw-client.js';

const STORED = ['kept 1', 'kept 2', 'kept 3'];

describe('hostile input', () => {
  const sluice = startedForSuite(() => startBroker({ 'message.max.bytes': '10000' }));

  beforeAll(async () => {
    await kcat(sluice.bootstrap, ['-P', '-t', 'victim'], `${STORED.join('\n')}\n`);
  });

  /** After every attack: another client is served and the stored records are intact. */
  async function expectStillServing(): Promise<void> {
    const client = await RawClient.connect(sluice.broker.port);
    try {
      const metadata = await client.request(Apis.Metadata, 4, { topics: [{ name: 'victim' }] });
      expect(metadata.topics[0].errorCode).toBe(0);
    } finally {
      client.close();
    }
    const records = await consumeAll(sluice.bootstrap, 'victim');
    expect(records.map((record) => record.value?.toString())).toEqual(STORED);
  }

  async function expectClosed(client: RawClient): Promise<void> {
    await expect(
      Promise.race([client.closed.then(() => 'closed'), sleep(5000).then(() => 'open')]),
    ).resolves.toBe('closed');
  }

  it('closes a connection that sends garbage', async () => {
    const client = await RawClient.connect(sluice.broker.port);
    client.write(Buffer.from('GET / HTTP/1.1\r\nHost: sluice\r\n\r\n'));
    await expectClosed(client);
    await expectStillServing();
  });

  it('closes a connection announcing a 2 GiB frame without allocating it', async () => {
    const client = await RawClient.connect(sluice.broker.port);
    const before = process.memoryUsage().arrayBuffers;
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(0x7fffffff);
    client.write(prefix);
    await expectClosed(client);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    expect(sluice.broker.metrics.connectionsClosed.get({ reason: 'frame_too_large' })).toBeGreaterThanOrEqual(
      1,
    );
    await expectStillServing();
  });

  it('waits for the rest of a truncated frame without blocking anyone else', async () => {
    const client = await RawClient.connect(sluice.broker.port);
    const frame = Buffer.concat(
      encodeRequestFrame(Apis.Metadata, 4, 1, 'truncated', { topics: [{ name: 'victim' }] }),
    );
    client.write(frame.subarray(0, frame.length - 5));
    await expectStillServing();
    client.write(frame.subarray(frame.length - 5));
    const response = await client.nextFrame();
    expect(response.readInt32BE(0)).toBe(1);
    client.close();
  });

  it('answers a batch with a bad CRC with CORRUPT_MESSAGE and stores nothing of it', async () => {
    const batch = encodeRecordBatch({ records: [{ value: 'evil' }] });
    batch[batch.length - 1] ^= 0xff;
    const client = await RawClient.connect(sluice.broker.port);
    try {
      const response = await client.request(Apis.Produce, 7, {
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 'victim', partitionData: [{ index: 0, records: batch }] }],
      });
      expect(response.responses[0].partitionResponses[0].errorCode).toBe(2);
    } finally {
      client.close();
    }
    await expectStillServing();
  });

  it('answers a batch over max.message.bytes with MESSAGE_TOO_LARGE', async () => {
    const batch = encodeRecordBatch({ records: [{ value: Buffer.alloc(20_000, 7) }] });
    const client = await RawClient.connect(sluice.broker.port);
    try {
      const response = await client.request(Apis.Produce, 7, {
        acks: 1,
        timeoutMs: 1000,
        topicData: [{ name: 'victim', partitionData: [{ index: 0, records: batch }] }],
      });
      expect(response.responses[0].partitionResponses[0].errorCode).toBe(10);
    } finally {
      client.close();
    }
    await expectStillServing();
  });

  it('answers an old message format (magic 1) with UNSUPPORTED_FOR_MESSAGE_FORMAT', async () => {
    const legacy = Buffer.alloc(34 + 5);
    legacy.writeBigInt64BE(0n, 0); // offset
    legacy.writeInt32BE(legacy.length - 12, 8); // message size
    legacy.writeUInt32BE(0, 12); // crc (not checked: the format is refused first)
    legacy.writeInt8(1, 16); // magic 1
    legacy.writeInt32BE(-1, 26); // null key
    legacy.writeInt32BE(5, 30);
    legacy.write('hello', 34);
    const client = await RawClient.connect(sluice.broker.port);
    try {
      const response = await client.request(Apis.Produce, 2, {
        acks: 1,
        timeoutMs: 1000,
        topicData: [{ name: 'victim', partitionData: [{ index: 0, records: legacy }] }],
      });
      expect(response.responses[0].partitionResponses[0].errorCode).toBe(43);
    } finally {
      client.close();
    }
    await expectStillServing();
  });

  it('refuses client writes to __consumer_offsets and keeps it from being deleted, grown or truncated', async () => {
    const client = await RawClient.connect(sluice.broker.port);
    try {
      const produced = await client.request(Apis.Produce, 7, {
        acks: 1,
        timeoutMs: 1000,
        topicData: [
          {
            name: '__consumer_offsets',
            partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ value: 'forged' }] }) }],
          },
        ],
      });
      expect(produced.responses[0].partitionResponses[0].errorCode).toBe(17);
      const deleted = await client.request(Apis.DeleteTopics, 1, {
        topicNames: ['__consumer_offsets'],
        timeoutMs: 1000,
      });
      expect(deleted.responses[0].errorCode).toBe(17);
      const grown = await client.request(Apis.CreatePartitions, 1, {
        topics: [{ name: '__consumer_offsets', count: 60, assignments: null }],
        timeoutMs: 1000,
        validateOnly: false,
      });
      expect(grown.results[0].errorCode).toBe(17);
      const truncated = await client.request(Apis.DeleteRecords, 1, {
        topics: [{ name: '__consumer_offsets', partitions: [{ partitionIndex: 0, offset: -1n }] }],
        timeoutMs: 1000,
      });
      expect(truncated.topics[0].partitions[0]).toMatchObject({ errorCode: 17, lowWatermark: -1n });
      const metadata = await client.request(Apis.Metadata, 4, { topics: [{ name: '__consumer_offsets' }] });
      expect(metadata.topics[0].isInternal).toBe(true);
      expect(metadata.topics[0].partitions).toHaveLength(50);
    } finally {
      client.close();
    }
  });

  it('closes a connection that uses an unknown API key, and answers an unknown ApiVersions version', async () => {
    const client = await RawClient.connect(sluice.broker.port);
    const frame = Buffer.alloc(4 + 10);
    frame.writeInt32BE(10, 0);
    frame.writeInt16BE(999, 4); // api key
    frame.writeInt16BE(0, 6);
    frame.writeInt32BE(7, 8);
    frame.writeInt16BE(-1, 12); // null client id
    client.write(frame);
    await expectClosed(client);

    const versions = await RawClient.connect(sluice.broker.port);
    try {
      const probe = Buffer.alloc(4 + 10);
      probe.writeInt32BE(10, 0);
      probe.writeInt16BE(18, 4);
      probe.writeInt16BE(99, 6);
      probe.writeInt32BE(42, 8);
      probe.writeInt16BE(-1, 12);
      versions.write(probe);
      const response = await versions.nextFrame();
      expect(response.readInt32BE(0)).toBe(42);
      expect(response.readInt16BE(4)).toBe(35); // UNSUPPORTED_VERSION, v0 body
    } finally {
      versions.close();
    }
    await expectStillServing();
  });

  it('closes a connection whose request claims a huge array inside a valid frame', async () => {
    const writer = new Writer();
    const size = writer.reserve(4);
    writer.int16(Apis.Metadata.apiKey).int16(4).int32(5).nullableString('liar');
    writer.int32(0x7ffffff0); // topics: two billion elements
    writer.raw(Buffer.alloc(16));
    size.buffer.writeInt32BE(writer.length - 4, size.offset);
    const client = await RawClient.connect(sluice.broker.port);
    client.write(writer.toBuffer());
    await expectClosed(client);
    await expectStillServing();
  });

  it('closes a connection that asks for a version it does not support, leaving others alone', async () => {
    const client = await RawClient.connect(sluice.broker.port);
    client.write(Buffer.concat(encodeRequestFrame(Apis.Produce, 9, 1, 'x', { acks: 1, topicData: [] })));
    await expectClosed(client);
    await expectStillServing();
  });

  it('counts the connections it closes under a few fixed reasons, whatever the requests said', async () => {
    /** Sends `frame` on a new connection and waits for the broker to close it. */
    const closedBy = async (frame: Buffer) => {
      const client = await RawClient.connect(sluice.broker.port);
      client.write(frame);
      await expectClosed(client);
    };
    /** A request frame: the header v1 fields, then `body`. */
    const request = (apiKey: number, apiVersion: number, clientId: string, body = Buffer.alloc(0)) => {
      const writer = new Writer();
      const size = writer.reserve(4);
      writer.int16(apiKey).int16(apiVersion).int32(1).nullableString(clientId).raw(body);
      size.buffer.writeInt32BE(writer.length - 4, size.offset);
      return writer.toBuffer();
    };
    // Each of these used to be a label of its own: the API key, the version, or the decoder's message.
    for (const apiKey of [500, 501, 502]) await closedBy(request(apiKey, 0, `key ${apiKey}`));
    for (const apiVersion of [50, 51]) await closedBy(request(Apis.Fetch.apiKey, apiVersion, 'v'));
    for (const claimed of [0x7ffffff0, 0x7ffffff1]) {
      const body = Buffer.alloc(12);
      body.writeInt32BE(claimed, 0);
      await closedBy(request(Apis.Metadata.apiKey, 4, `"} 1\nsluice_fake{reason="${claimed}`, body));
    }
    const headerOnly = Buffer.alloc(12); // api key, version and correlation id, then nothing
    headerOnly.writeInt32BE(8, 0);
    headerOnly.writeInt16BE(Apis.Metadata.apiKey, 4);
    headerOnly.writeInt16BE(4, 6);
    await closedBy(headerOnly);
    const tooSmall = Buffer.alloc(8);
    tooSmall.writeInt32BE(4, 0);
    await closedBy(tooSmall);
    await closedBy(Buffer.from('GET /metrics HTTP/1.1\r\n\r\n'));
    const leaving = await RawClient.connect(sluice.broker.port);
    leaving.close();

    // The broker counts the client's own close once it sees the socket end: scrape until it has.
    const scrape = async () => {
      const text = await (await fetch(`http://127.0.0.1:${sluice.broker.metricsPort}/metrics`)).text();
      const counts = new Map<string, number>();
      for (const line of text.split('\n')) {
        if (!line.startsWith('sluice_connections_closed_total{')) continue;
        const match = /^sluice_connections_closed_total\{reason="([a-z_]+)"\} (\d+)$/.exec(line);
        expect(match, line).not.toBeNull();
        counts.set(match![1], Number(match![2]));
      }
      return { text, counts };
    };
    let { text: scraped, counts } = await scrape();
    for (const deadline = Date.now() + 5000; !counts.has('client') && Date.now() < deadline; ) {
      await sleep(20);
      ({ text: scraped, counts } = await scrape());
    }
    expect(scraped).not.toContain('sluice_fake');
    for (const reason of counts.keys()) expect(CONNECTION_CLOSE_REASONS).toContain(reason);
    expect(counts.get('unsupported_api')).toBeGreaterThanOrEqual(5);
    expect(counts.get('malformed_request')).toBeGreaterThanOrEqual(3);
    expect(counts.get('malformed_frame')).toBeGreaterThanOrEqual(1);
    expect(counts.get('frame_too_large')).toBeGreaterThanOrEqual(1);
    expect(counts.get('client')).toBeGreaterThanOrEqual(1);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
