import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import {
  ApiKey,
  Apis,
  decodeResponseFrame,
  ErrorCode,
  encodeRecordBatch,
  encodeRequestFrame,
  type FetchResponse,
} from '@sluice/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADVERTISED_VERSIONS } from './advertised-versions.js';
import { ConsumerGroups } from './consumer-groups.js';
import { FixtureBroker } from './fixture-broker.js';
import { MemoryLog } from './memory-log.js';

/** A client connection that reads whole response frames, in order. */
class Connection {
  private pending: Buffer = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiting: (() => void) | null = null;

  private constructor(readonly socket: Socket) {
    socket.on('data', (data: Buffer) => {
      this.pending = Buffer.concat([this.pending, data]);
      while (this.pending.length >= 4 && this.pending.length >= 4 + this.pending.readInt32BE(0)) {
        const size = this.pending.readInt32BE(0);
        this.frames.push(this.pending.subarray(4, 4 + size));
        this.pending = this.pending.subarray(4 + size);
      }
      this.waiting?.();
    });
  }

  static async open(port: number): Promise<Connection> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new Connection(socket);
  }

  async response(): Promise<Buffer> {
    while (this.frames.length === 0) {
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
    return this.frames.shift()!;
  }
}

let broker: FixtureBroker;
let connection: Connection;

beforeEach(async () => {
  broker = await FixtureBroker.start(new MemoryLog(), new ConsumerGroups(), ADVERTISED_VERSIONS);
  connection = await Connection.open(broker.port);
});

afterEach(async () => {
  connection.socket.destroy();
  await broker.close();
});

describe('FixtureBroker', () => {
  it('records every request frame exactly as it arrived, without the size prefix', async () => {
    const first = Buffer.concat(encodeRequestFrame(Apis.ApiVersions, 2, 7, 'fixture-test', {}));
    const second = Buffer.concat(encodeRequestFrame(Apis.Metadata, 4, 8, 'fixture-test', { topics: [] }));
    // Both in one write, the second split across the boundary of a second write.
    connection.socket.write(Buffer.concat([first, second.subarray(0, 5)]));
    connection.socket.write(second.subarray(5));
    await connection.response();
    await connection.response();
    expect(broker.frames.map((frame) => frame.payload.toString('hex'))).toEqual([
      first.subarray(4).toString('hex'),
      second.subarray(4).toString('hex'),
    ]);
    expect(broker.frames.map((frame) => [frame.apiKey, frame.apiVersion, frame.correlationId])).toEqual([
      [ApiKey.ApiVersions, 2, 7],
      [ApiKey.Metadata, 4, 8],
    ]);
    expect(broker.problems).toEqual([]);
  });

  it('answers ApiVersions v3 as Kafka does: UNSUPPORTED_VERSION in a v0 body with the ApiVersions range', async () => {
    connection.socket.write(
      Buffer.concat(
        encodeRequestFrame(Apis.ApiVersions, 3, 1, 'fixture-test', {
          clientSoftwareName: 'test',
          clientSoftwareVersion: '1',
        }),
      ),
    );
    const { correlationId, body } = decodeResponseFrame(Apis.ApiVersions, 0, await connection.response());
    expect(correlationId).toBe(1);
    expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(body.apiKeys).toEqual([{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 2 }]);
  });

  it('advertises the ranges it was given', async () => {
    connection.socket.write(Buffer.concat(encodeRequestFrame(Apis.ApiVersions, 2, 1, 'fixture-test', {})));
    const { body } = decodeResponseFrame(Apis.ApiVersions, 2, await connection.response());
    expect(body.errorCode).toBe(ErrorCode.NONE);
    expect(body.apiKeys).toEqual(ADVERTISED_VERSIONS);
  });

  it('answers a first JoinGroup with MEMBER_ID_REQUIRED, then makes the member the leader', async () => {
    const join = (memberId: string, correlationId: number) =>
      encodeRequestFrame(Apis.JoinGroup, 5, correlationId, 'fixture-test', {
        groupId: 'group',
        sessionTimeoutMs: 6_000,
        rebalanceTimeoutMs: 6_000,
        memberId,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.from([1, 2, 3]) }],
      });
    connection.socket.write(Buffer.concat(join('', 1)));
    const first = decodeResponseFrame(Apis.JoinGroup, 5, await connection.response()).body;
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^fixture-test-/);

    connection.socket.write(Buffer.concat(join(first.memberId, 2)));
    const second = decodeResponseFrame(Apis.JoinGroup, 5, await connection.response()).body;
    expect(second.errorCode).toBe(ErrorCode.NONE);
    expect(second.generationId).toBe(1);
    expect(second.leader).toBe(first.memberId);
    expect(second.protocolName).toBe('range');
    expect(second.members.map((member) => [member.memberId, [...member.metadata]])).toEqual([
      [first.memberId, [1, 2, 3]],
    ]);
  });

  it('serves produced batches back to a fetch, with offsets assigned', async () => {
    const batch = encodeRecordBatch({ records: [{ value: 'one' }, { value: 'two' }] });
    const produce = (correlationId: number) =>
      encodeRequestFrame(Apis.Produce, 7, correlationId, 'fixture-test', {
        acks: -1,
        timeoutMs: 1_000,
        topicData: [{ name: 'topic', partitionData: [{ index: 0, records: batch }] }],
      });
    connection.socket.write(Buffer.concat([...produce(1), ...produce(2)]));
    const baseOffsets = [];
    for (let i = 0; i < 2; i++) {
      const { body } = decodeResponseFrame(Apis.Produce, 7, await connection.response());
      baseOffsets.push(body.responses[0].partitionResponses[0].baseOffset);
    }
    expect(baseOffsets).toEqual([0n, 2n]);

    connection.socket.write(
      Buffer.concat(
        encodeRequestFrame(Apis.Fetch, 11, 3, 'fixture-test', {
          replicaId: -1,
          maxWaitMs: 100,
          minBytes: 1,
          maxBytes: 1 << 20,
          topics: [
            { topic: 'topic', partitions: [{ partition: 0, fetchOffset: 2n, partitionMaxBytes: 1 << 20 }] },
          ],
        }),
      ),
    );
    const fetched: FetchResponse = decodeResponseFrame(Apis.Fetch, 11, await connection.response()).body;
    const partition = fetched.responses[0].partitions[0];
    expect(partition.errorCode).toBe(ErrorCode.NONE);
    expect(partition.highWatermark).toBe(4n);
    expect(partition.records?.readBigInt64BE(0)).toBe(2n);
    expect(partition.records?.subarray(8).equals(batch.subarray(8))).toBe(true);
  });

  it('holds a fetch with nothing to return for max_wait_ms before answering', async () => {
    connection.socket.write(
      Buffer.concat(encodeRequestFrame(Apis.Metadata, 4, 1, 'fixture-test', { topics: [{ name: 'empty' }] })),
    );
    await connection.response();
    const maxWaitMs = 300;
    const startedAtMs = performance.now();
    connection.socket.write(
      Buffer.concat(
        encodeRequestFrame(Apis.Fetch, 11, 2, 'fixture-test', {
          replicaId: -1,
          maxWaitMs,
          minBytes: 1,
          topics: [
            { topic: 'empty', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] },
          ],
        }),
      ),
    );
    const response = await connection.response();
    // A lower bound on the hold (the behaviour), not a measure of speed.
    expect(performance.now() - startedAtMs).toBeGreaterThanOrEqual(maxWaitMs - 5);
    const { body } = decodeResponseFrame(Apis.Fetch, 11, response);
    const partition = body.responses[0].partitions[0];
    expect(partition.errorCode).toBe(ErrorCode.NONE);
    expect(partition.highWatermark).toBe(0n);
    expect(partition.records?.length).toBe(0);
  });

  it('answers a fetch for an unknown topic at once, with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    connection.socket.write(
      Buffer.concat(
        encodeRequestFrame(Apis.Fetch, 11, 1, 'fixture-test', {
          replicaId: -1,
          maxWaitMs: 60_000,
          topics: [
            { topic: 'unknown', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] },
          ],
        }),
      ),
    );
    const { body } = decodeResponseFrame(Apis.Fetch, 11, await connection.response());
    expect(body.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('closes the connection on a request for a version it does not advertise', async () => {
    connection.socket.write(
      Buffer.concat(encodeRequestFrame(Apis.Produce, 9, 1, 'fixture-test', { acks: 1 })),
    );
    await once(connection.socket, 'close');
    expect(broker.problems).toEqual([expect.stringMatching(/api 0 v9 .*not advertised/)]);
  });
});
