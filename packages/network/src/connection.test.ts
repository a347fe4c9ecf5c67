import { createServer } from 'node:net';
import * as sluiceBroker from '@sluice/broker';
import { Apis, type MetadataResponse, UnsupportedVersionError } from '@sluice/protocol';
import { startSluiceBroker } from '@sluice/test-support';
import { startedForSuite } from '@sluice/test-support/vitest';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { apiVersionsReply, type Reply, ScriptedBroker } from '../test/support/scripted-broker.js';
import { Connection, type ConnectionOptions } from './connection.js';
import { ClientClosedError, ConnectionError, ProtocolError, RequestTimeoutError } from './errors.js';

const logger = pino({ level: 'silent' });

function options(port: number, overrides: Partial<ConnectionOptions> = {}): ConnectionOptions {
  return {
    address: { host: '127.0.0.1', port },
    clientId: 'connection-test',
    requestTimeoutMs: 5_000,
    connectionSetupTimeoutMs: 5_000,
    logger,
    ...overrides,
  };
}

const metadataBody: Partial<MetadataResponse> = { brokers: [], clusterId: 'c', controllerId: 1, topics: [] };

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('Connection against a Sluice broker', () => {
  const broker = startedForSuite(() => startSluiceBroker(sluiceBroker));

  it('negotiates the highest version each API has in common with the broker', async () => {
    const connection = await Connection.open(options(broker.broker.port));
    expect(connection.versions.summary()).toMatchObject({
      ApiVersions: 2,
      Produce: 7,
      Fetch: 11,
      ListOffsets: 2,
      Metadata: 4,
      CreateTopics: 3,
      InitProducerId: 1,
      OffsetCommit: 5,
      JoinGroup: 5,
      SyncGroup: 3,
    });
    // An API neither side offers: the client says which ranges fail to meet.
    expect(() => connection.versions.require(Apis.DescribeCluster, connection.broker)).toThrow(
      UnsupportedVersionError,
    );
    expect(() => connection.versions.require(Apis.DescribeCluster, connection.broker)).toThrow(
      /DescribeCluster: broker .* supports no version, this client no version/,
    );
    await connection.close();
    expect(connection.state).toBe('closed');
  });

  it('pipelines many requests on one connection and gives each caller its own answer', async () => {
    const connection = await Connection.open(options(broker.broker.port, { maxInFlightRequests: 5 }));
    const topics = Array.from({ length: 40 }, (_, i) => `pipelined-${i}`);
    const answers = await Promise.all(
      topics.map((name) =>
        connection.request(Apis.Metadata, { topics: [{ name }], allowAutoTopicCreation: false }),
      ),
    );
    expect(answers.map((answer) => answer.topics[0].name)).toEqual(topics);
    expect(answers.every((answer) => answer.topics[0].errorCode === 3)).toBe(true);
    await connection.close();
  });
});

describe('Connection against a scripted broker', () => {
  const brokers: ScriptedBroker[] = [];

  afterAll(async () => {
    await Promise.all(brokers.map((broker) => broker.stop()));
  });

  async function scripted(respond: Parameters<typeof ScriptedBroker.start>[0]): Promise<ScriptedBroker> {
    const broker = await ScriptedBroker.start(respond);
    brokers.push(broker);
    return broker;
  }

  it('repeats the handshake at the ApiVersions version listed by a broker that does not know v2', async () => {
    const broker = await scripted((request) => {
      if (request.apiKey !== 18) return { kind: 'close' };
      if (request.apiVersion > 1) {
        // Kafka's answer to an unknown ApiVersions version: v0 body, error 35, its own range.
        const body = Buffer.alloc(4 + 2 + 4 + 6);
        body.writeInt32BE(request.correlationId, 0);
        body.writeInt16BE(35, 4);
        body.writeInt32BE(1, 6);
        body.writeInt16BE(18, 10);
        body.writeInt16BE(0, 12);
        body.writeInt16BE(1, 14);
        const size = Buffer.alloc(4);
        size.writeInt32BE(body.length);
        return { kind: 'raw', bytes: Buffer.concat([size, body]) };
      }
      return apiVersionsReply([
        { apiKey: 18, minVersion: 0, maxVersion: 1 },
        { apiKey: 3, minVersion: 0, maxVersion: 2 },
      ]);
    });
    const connection = await Connection.open(options(broker.port));
    expect(broker.received.map((request) => request.apiVersion)).toEqual([2, 1]);
    expect(connection.versions.summary()).toEqual({ ApiVersions: 1, Metadata: 2 });
    await connection.close();
  });

  it('keeps at most maxInFlightRequests on the wire and queues the rest in order', async () => {
    let outstanding = 0;
    let mostOutstanding = 0;
    const broker = await scripted(async (request) => {
      if (request.apiKey === 18) return apiVersionsReply();
      outstanding++;
      mostOutstanding = Math.max(mostOutstanding, outstanding);
      await delay(2);
      outstanding--;
      return { kind: 'body', body: metadataBody };
    });
    const connection = await Connection.open(options(broker.port, { maxInFlightRequests: 3 }));
    await Promise.all(Array.from({ length: 30 }, () => connection.request(Apis.Metadata, { topics: [] })));
    const correlationIds = broker.received.slice(1).map((request) => request.correlationId);
    expect(correlationIds).toEqual([...correlationIds].sort((a, b) => a - b));
    expect(mostOutstanding).toBeLessThanOrEqual(3);
    expect(mostOutstanding).toBeGreaterThan(1);
    await connection.close();
  });

  it('fails a request unanswered within its timeout with RequestTimeoutError, and the others it held with ConnectionError', async () => {
    const broker = await scripted((request) =>
      request.apiKey === 18 ? apiVersionsReply() : { kind: 'silence' },
    );
    const connection = await Connection.open(options(broker.port, { requestTimeoutMs: 200 }));
    const first = connection.request(Apis.Metadata, { topics: [] }).then(
      () => new Error('expected a failure'),
      (failure: Error) => failure,
    );
    const second = connection.request(Apis.Metadata, { topics: [] }).then(
      () => new Error('expected a failure'),
      (failure: Error) => failure,
    );
    const firstError = await first;
    expect(RequestTimeoutError.isInstance(firstError)).toBe(true);
    expect(firstError.message).toContain('got no answer within 200 ms');
    const secondError = await second;
    expect(ConnectionError.isInstance(secondError)).toBe(true);
    expect((secondError as ConnectionError).retriable).toBe(true);
    expect(connection.state).toBe('closed');
    await expect(connection.request(Apis.Metadata, { topics: [] })).rejects.toSatisfy(
      RequestTimeoutError.isInstance,
    );
  });

  it('closes the connection when an answer carries the wrong correlation id', async () => {
    const broker = await scripted((request) => {
      if (request.apiKey === 18) return apiVersionsReply();
      const bytes = Buffer.alloc(12);
      bytes.writeInt32BE(8, 0);
      bytes.writeInt32BE(request.correlationId + 1000, 4);
      return { kind: 'raw', bytes };
    });
    const connection = await Connection.open(options(broker.port));
    const error = await connection.request(Apis.Metadata, { topics: [] }).then(
      () => new Error('expected a failure'),
      (failure: Error) => failure,
    );
    expect(ProtocolError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/answered correlation id \d+, expected \d+ \(Metadata\)/);
    expect(connection.state).toBe('closed');
  });

  it('fails every held request with a retriable ConnectionError when the broker closes the socket', async () => {
    const replies: Reply[] = [{ kind: 'body', body: metadataBody }, { kind: 'close' }];
    const broker = await scripted((request) =>
      request.apiKey === 18 ? apiVersionsReply() : replies.shift()!,
    );
    const connection = await Connection.open(options(broker.port));
    const results = await Promise.allSettled([
      connection.request(Apis.Metadata, { topics: [] }),
      connection.request(Apis.Metadata, { topics: [] }),
      connection.request(Apis.Metadata, { topics: [] }),
    ]);
    expect(results[0].status).toBe('fulfilled');
    for (const result of results.slice(1)) {
      expect(result.status).toBe('rejected');
      expect(ConnectionError.isInstance((result as PromiseRejectedResult).reason)).toBe(true);
    }
    await connection.closed;
  });

  it('lets a caller stop waiting with an AbortSignal; later answers still reach their own callers', async () => {
    const broker = await scripted(async (request) => {
      if (request.apiKey === 18) return apiVersionsReply();
      await delay(50);
      return { kind: 'body', body: { ...metadataBody, clusterId: `answer-${request.correlationId}` } };
    });
    const connection = await Connection.open(options(broker.port, { maxInFlightRequests: 1 }));
    const inFlight = new AbortController();
    const queued = new AbortController();
    const abandoned = connection.request(Apis.Metadata, { topics: [] }, { signal: inFlight.signal });
    const dropped = connection.request(Apis.Metadata, { topics: [] }, { signal: queued.signal });
    const kept = connection.request(Apis.Metadata, { topics: [] });
    inFlight.abort(new Error('in-flight caller gave up'));
    queued.abort(new Error('queued caller gave up'));
    await expect(abandoned).rejects.toThrow('in-flight caller gave up');
    await expect(dropped).rejects.toThrow('queued caller gave up');
    const answer = await kept;
    // The dropped request never went out: the kept one is the second request after the handshake.
    expect(broker.received.filter((request) => request.apiKey === 3)).toHaveLength(2);
    expect(answer.clusterId).toBe(`answer-${broker.received[2].correlationId}`);
    await connection.close();
  });

  it('close() waits for the answers in flight, then refuses new requests', async () => {
    const broker = await scripted(async (request) => {
      if (request.apiKey === 18) return apiVersionsReply();
      await delay(100);
      return { kind: 'body', body: metadataBody };
    });
    const connection = await Connection.open(options(broker.port));
    const pending = connection.request(Apis.Metadata, { topics: [] });
    const closing = connection.close();
    await expect(connection.request(Apis.Metadata, { topics: [] })).rejects.toThrow(/is closing/);
    await expect(pending).resolves.toMatchObject({ clusterId: 'c' });
    await closing;
    expect(connection.state).toBe('closed');
    await expect(connection.request(Apis.Metadata, { topics: [] })).rejects.toSatisfy(
      ClientClosedError.isInstance,
    );
  });

  it('resolves a request that expects no answer once it is written (Produce with acks=0)', async () => {
    const broker = await scripted((request) =>
      request.apiKey === 18 ? apiVersionsReply() : { kind: 'silence' },
    );
    const connection = await Connection.open(options(broker.port));
    await expect(
      connection.request(
        Apis.Produce,
        { acks: 0, timeoutMs: 1000, topicData: [] },
        { expectResponse: false },
      ),
    ).resolves.toBeNull();
    await connection.close();
  });

  it('fails to open with ConnectionError when nothing listens, and with RequestTimeoutError when the handshake stalls', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(Connection.open(options(port))).rejects.toSatisfy(ConnectionError.isInstance);

    const silent = await scripted(() => ({ kind: 'silence' }));
    const error = await Connection.open(options(silent.port, { connectionSetupTimeoutMs: 150 })).then(
      () => new Error('expected a failure'),
      (failure: Error) => failure,
    );
    expect(RequestTimeoutError.isInstance(error)).toBe(true);
    expect(error.message).toContain('took longer than 150 ms');
  });
});
