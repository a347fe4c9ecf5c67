import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  decodeRequestFrame,
  encodeRequestFrame,
  encodeRequestHeader,
  type ProduceRequest,
  requestHeaderVersion,
  Writer,
} from '../src/index.js';
import { decodeRecordBatches } from '../src/record-batch.js';

/**
 * Request frames that kcat (librdkafka 2.0.2) and kafkajs 2.2.4 wrote to a socket, captured by
 * tooling/capture-fixtures (see its README to capture them again). Each must decode with the generated
 * codec, using every byte, and re-encode to exactly the same bytes; the record batches inside Produce
 * requests must decode to the records that were sent.
 */

const FIXTURES_DIR = join(import.meta.dirname, 'fixtures');

interface SentRecord {
  key: string | null;
  value: string | null;
  headers: { key: string; value: string }[];
  /** null when the client stamped the send time itself (kcat cannot be told a timestamp). */
  timestampMs: number | null;
}

interface Fixture {
  client: 'kcat' | 'kafkajs';
  session: string;
  api: string;
  apiKey: number;
  version: number;
  variant: string | null;
  file: string;
  sizeBytes: number;
  note: string | null;
  produce: {
    topic: string;
    partition: number;
    compression: 'none' | 'gzip';
    records: SentRecord[];
    sentBetweenMs: [number, number];
  } | null;
}

const manifest = JSON.parse(readFileSync(join(FIXTURES_DIR, 'manifest.json'), 'utf8')) as {
  fixtures: Fixture[];
};

function payloadOf(fixture: Fixture): Buffer {
  return readFileSync(join(FIXTURES_DIR, fixture.file));
}

function describeFixture(fixture: Fixture): string {
  return `${fixture.client}'s ${fixture.api} v${fixture.version}${fixture.variant ? ` (${fixture.variant})` : ''}`;
}

/** What the protocol must be shown to read from each client: [API key, version, variant]. */
const REQUIRED: Record<Fixture['client'], [number, number, string | null][]> = {
  kcat: [
    [ApiKey.ApiVersions, 3, null],
    [ApiKey.ApiVersions, 0, null],
    [ApiKey.Metadata, 4, null],
    [ApiKey.Produce, 7, 'none'],
    [ApiKey.Produce, 7, 'gzip'],
    [ApiKey.Fetch, 11, null],
    [ApiKey.JoinGroup, 5, null],
  ],
  kafkajs: [
    [ApiKey.ApiVersions, 2, null],
    [ApiKey.Metadata, 4, null],
    [ApiKey.Produce, 7, 'none'],
    [ApiKey.Produce, 7, 'gzip'],
    [ApiKey.Fetch, 11, null],
    [ApiKey.JoinGroup, 5, null],
  ],
};

function utf8OrNull(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString('utf8');
}

describe('request frames captured from kcat and kafkajs', () => {
  it('include every request the clients must be seen to send', () => {
    for (const [client, required] of Object.entries(REQUIRED)) {
      for (const [apiKey, version, variant] of required) {
        const found = manifest.fixtures.some(
          (fixture) =>
            fixture.client === client &&
            fixture.apiKey === apiKey &&
            fixture.version === version &&
            fixture.variant === variant,
        );
        expect(found, `${client} api ${apiKey} v${version} ${variant ?? ''}`).toBe(true);
      }
    }
  });

  describe.each(manifest.fixtures.map((fixture) => [describeFixture(fixture), fixture] as const))(
    '%s',
    (_name, fixture) => {
      it('decodes with every byte used and the header it was sent with', () => {
        const payload = payloadOf(fixture);
        expect(payload.length).toBe(fixture.sizeBytes);
        // decodeRequestFrame throws when bytes are left after the body.
        const { header, api } = decodeRequestFrame(payload);
        expect(header.requestApiKey).toBe(fixture.apiKey);
        expect(header.requestApiVersion).toBe(fixture.version);
        expect(api.name).toBe(fixture.api);
        expect(header.clientId).toEqual(expect.any(String));
      });

      it('re-encodes to the same bytes', () => {
        const payload = payloadOf(fixture);
        const { header, api, body } = decodeRequestFrame(payload);
        const writer = new Writer();
        encodeRequestHeader(writer, requestHeaderVersion(api, fixture.version), header);
        api.encodeRequest(writer, fixture.version, body);
        expect(writer.toBuffer().toString('hex')).toBe(payload.toString('hex'));
      });

      it('re-encodes as a whole frame, size prefix included', () => {
        const payload = payloadOf(fixture);
        const { header, api, body } = decodeRequestFrame(payload);
        const frame = Buffer.concat(
          encodeRequestFrame(api, fixture.version, header.correlationId, header.clientId, body),
        );
        expect(frame.readInt32BE(0)).toBe(payload.length);
        expect(frame.subarray(4).toString('hex')).toBe(payload.toString('hex'));
      });
    },
  );

  const produceFixtures = manifest.fixtures.filter((fixture) => fixture.produce !== null);

  it('hold Produce requests from both clients, uncompressed and gzip', () => {
    const kinds = produceFixtures
      .map((fixture) => `${fixture.client}/${fixture.produce?.compression}`)
      .sort();
    expect(kinds).toEqual(['kafkajs/gzip', 'kafkajs/none', 'kcat/gzip', 'kcat/none']);
  });

  it.each(produceFixtures.map((fixture) => [describeFixture(fixture), fixture] as const))(
    '%s carries record batches that decode to the records sent, with the compression asked for',
    (_name, fixture) => {
      const expected = fixture.produce!;
      const body = decodeRequestFrame(payloadOf(fixture)).body as ProduceRequest;
      expect(body.topicData.map((topic) => topic.name)).toEqual([expected.topic]);
      const partitions = body.topicData[0].partitionData;
      expect(partitions.map((partition) => partition.index)).toEqual([expected.partition]);
      const records = partitions[0].records;
      expect(records).not.toBeNull();

      // CRC-32C checked on every batch; the batches must fill the field, no truncated one skipped.
      const batches = decodeRecordBatches(records!, { verifyCrc: true });
      expect(batches.length).toBeGreaterThan(0);
      expect(batches.reduce((total, batch) => total + batch.sizeBytes, 0)).toBe(records!.length);
      for (const batch of batches) expect(batch.compression).toBe(expected.compression);

      const decoded = batches.flatMap((batch) => batch.records);
      expect(decoded.map((record) => record.offset)).toEqual(expected.records.map((_, index) => index));
      expect(
        decoded.map((record) => ({
          key: utf8OrNull(record.key),
          value: utf8OrNull(record.value),
          headers: record.headers.map((header) => ({ key: header.key, value: utf8OrNull(header.value) })),
        })),
      ).toEqual(
        expected.records.map((record) => ({ key: record.key, value: record.value, headers: record.headers })),
      );

      const [sentFromMs, sentByMs] = expected.sentBetweenMs;
      decoded.forEach((record, index) => {
        const sentTimestampMs = expected.records[index].timestampMs;
        if (sentTimestampMs !== null) {
          expect(record.timestamp).toBe(sentTimestampMs);
        } else {
          // Stamped by the client while it was running: between the session's start and the request.
          expect(record.timestamp).toBeGreaterThanOrEqual(sentFromMs);
          expect(record.timestamp).toBeLessThanOrEqual(sentByMs);
        }
      });
    },
  );
});
