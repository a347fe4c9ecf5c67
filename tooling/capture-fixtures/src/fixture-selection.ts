import {
  ApiKey,
  apiByKey,
  CompressionType,
  compressionOf,
  decodeRequestFrame,
  type JoinGroupRequest,
  type MetadataRequest,
  type ProduceRequest,
  readRecordBatchHeader,
} from '@sluice/protocol';
import type { ClientName, ClientSession } from './client-session.js';
import type { RecordedFrame } from './fixture-broker.js';
import type { Compression, SentRecord } from './fixture-records.js';

/**
 * Picks the fixtures out of the captured sessions: for each client, the first frame of every distinct
 * (API, version, variant), where the variant tells apart requests of one version worth keeping separately
 * (compressed or not, a first join or a rejoin, which topics a Metadata request asks for).
 */

export interface CapturedSession {
  readonly session: ClientSession;
  readonly startedAtMs: number;
  readonly frames: readonly RecordedFrame[];
}

/** A Produce fixture's expectations: what was sent, and when (for records the client timestamps itself). */
export interface ProduceExpectation {
  readonly topic: string;
  readonly partition: number;
  readonly compression: Compression;
  readonly records: readonly SentRecord[];
  /** The session's start and the Produce request's arrival: client-set timestamps lie in between. */
  readonly sentBetweenMs: readonly [number, number];
}

export interface Fixture {
  readonly client: ClientName;
  readonly session: string;
  readonly api: string;
  readonly apiKey: number;
  readonly version: number;
  readonly variant: string | null;
  /** Path relative to the fixtures directory. */
  readonly file: string;
  readonly sizeBytes: number;
  readonly note: string | null;
  /** Ranges the broker advertised in place of the README's when this was captured, and why. */
  readonly advertisedOverrides: ClientSession['advertisedOverrides'];
  readonly produce: ProduceExpectation | null;
  readonly payload: Buffer;
}

/** What each client must have sent: [API key, version, variant]. */
const REQUIRED: Record<ClientName, readonly [number, number, string | null][]> = {
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

function kebabCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function variantOf(frame: RecordedFrame, captured: CapturedSession): string | null {
  const { body } = decodeRequestFrame(frame.payload);
  switch (frame.apiKey) {
    case ApiKey.Produce:
      if (captured.session.produced === null)
        throw new Error(`${captured.session.name} was not meant to produce`);
      return captured.session.produced.compression;
    case ApiKey.Metadata: {
      const topics = (body as MetadataRequest).topics;
      if (topics === null) return 'all-topics';
      return topics.length === 0 ? 'brokers-only' : null;
    }
    case ApiKey.JoinGroup:
      return (body as JoinGroupRequest).memberId === '' ? null : 'member-id';
    default:
      return null;
  }
}

function noteOf(client: ClientName, apiKey: number, version: number, variant: string | null): string | null {
  if (apiKey === ApiKey.ApiVersions && version > 2) {
    return `${client} sends this first; the broker answers UNSUPPORTED_VERSION listing ApiVersions 0-2, and the client retries with v0`;
  }
  if (apiKey === ApiKey.ApiVersions) {
    return client === 'kafkajs'
      ? 'kafkajs sends ApiVersions v2, the highest it knows, as its first request; it is served, so no retry'
      : `the ApiVersions version ${client} retries with`;
  }
  if (apiKey === ApiKey.JoinGroup) {
    return variant === null
      ? 'first join, with an empty member id; the broker answers MEMBER_ID_REQUIRED with an id'
      : 'the join again, with the member id the broker gave';
  }
  if (apiKey === ApiKey.Metadata && variant === 'all-topics') return 'topics null: every topic';
  if (apiKey === ApiKey.Metadata && variant === 'brokers-only') return 'topics empty: brokers only';
  return null;
}

/** Checks that a Produce request holds exactly the records the session sent, with its compression. */
function checkProduce(frame: RecordedFrame, expectation: ProduceExpectation, where: string): void {
  const body = decodeRequestFrame(frame.payload).body as ProduceRequest;
  let recordCount = 0;
  for (const topic of body.topicData) {
    if (topic.name !== expectation.topic) throw new Error(`${where}: produced to ${topic.name}`);
    for (const partition of topic.partitionData) {
      const records = partition.records;
      if (records === null) throw new Error(`${where}: partition ${partition.index} has null records`);
      // Header fields only: decoding the records is the protocol tests' job.
      for (let position = 0; position < records.length; ) {
        const header = readRecordBatchHeader(records, position);
        const compression = compressionOf(header.attributes);
        if (compression !== CompressionType[expectation.compression]) {
          throw new Error(`${where}: a batch has compression ${compression}, not ${expectation.compression}`);
        }
        recordCount += header.recordCount;
        position += header.sizeBytes;
      }
    }
  }
  if (recordCount !== expectation.records.length) {
    throw new Error(
      `${where}: the request holds ${recordCount} records, ${expectation.records.length} were sent`,
    );
  }
}

export function selectFixtures(sessions: readonly CapturedSession[]): Fixture[] {
  const fixtures: Fixture[] = [];
  const seen = new Set<string>();
  for (const captured of sessions) {
    const { client, name } = captured.session;
    const produceFrames = captured.frames.filter((frame) => frame.apiKey === ApiKey.Produce);
    if (captured.session.produced !== null && produceFrames.length !== 1) {
      throw new Error(`${client} ${name}: ${produceFrames.length} Produce requests, expected exactly one`);
    }
    for (const frame of captured.frames) {
      const api = apiByKey.get(frame.apiKey);
      if (!api) throw new Error(`${client} ${name}: unknown API key ${frame.apiKey}`);
      const variant = variantOf(frame, captured);
      const key = `${client}/${frame.apiKey}/${frame.apiVersion}/${variant}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const file = `${client}/${kebabCase(api.name)}-v${frame.apiVersion}${variant === null ? '' : `-${variant}`}.bin`;
      let produce: ProduceExpectation | null = null;
      if (frame.apiKey === ApiKey.Produce && captured.session.produced !== null) {
        produce = {
          topic: captured.session.produced.topic,
          partition: 0,
          compression: captured.session.produced.compression,
          records: captured.session.produced.records,
          sentBetweenMs: [captured.startedAtMs, frame.receivedAtMs],
        };
        checkProduce(frame, produce, file);
      }
      fixtures.push({
        client,
        session: name,
        api: api.name,
        apiKey: frame.apiKey,
        version: frame.apiVersion,
        variant,
        file,
        sizeBytes: frame.payload.length,
        note: noteOf(client, frame.apiKey, frame.apiVersion, variant),
        advertisedOverrides: captured.session.advertisedOverrides,
        produce,
        payload: frame.payload,
      });
    }
  }
  const missing = (Object.keys(REQUIRED) as ClientName[]).flatMap((client) =>
    REQUIRED[client]
      .filter(([apiKey, version, variant]) => !seen.has(`${client}/${apiKey}/${version}/${variant}`))
      .map(
        ([apiKey, version, variant]) =>
          `${client} ${apiByKey.get(apiKey)?.name} v${version} ${variant ?? ''}`,
      ),
  );
  if (missing.length > 0) throw new Error(`the clients did not send: ${missing.join(', ')}`);
  return fixtures;
}
