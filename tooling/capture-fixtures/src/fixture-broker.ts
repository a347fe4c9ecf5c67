import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiKey,
  Apis,
  type DecodedRequest,
  decodeRequestFrame,
  ErrorCode,
  encodeResponseFrame,
  type FetchRequest,
  type FindCoordinatorRequest,
  type HeartbeatRequest,
  type InitProducerIdRequest,
  type JoinGroupRequest,
  type LeaveGroupRequest,
  type ListOffsetsRequest,
  type MetadataRequest,
  type OffsetCommitRequest,
  type OffsetFetchRequest,
  type ProduceRequest,
  readRequestPreamble,
  type SyncGroupRequest,
} from '@sluice/protocol';
import { API_VERSIONS_MAX_VERSION, type VersionRange } from './advertised-versions.js';
import { CaptureLimits } from './capture-limits.js';
import type { ConsumerGroups } from './consumer-groups.js';
import type { MemoryLog } from './memory-log.js';

/**
 * A minimal Kafka broker on 127.0.0.1 that records every request frame exactly as it arrived and answers
 * with the generated codec, just well enough for kcat and kafkajs to produce, consume and run a consumer
 * group against it. It is broker 1, the controller, the leader of every partition (each topic has one) and
 * the coordinator of every group. Requests on a connection are answered one at a time, in order.
 */

/** One request frame as received: `payload` is the bytes after the 4-byte size prefix (header and body). */
export interface RecordedFrame {
  readonly connectionId: number;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly receivedAtMs: number;
  readonly payload: Buffer;
}

const BROKER_ID = 1;
const CLUSTER_ID = 'sluice-fixtures';
const HOST = '127.0.0.1';
const SIZE_PREFIX_BYTES = 4;
/** The timestamp with which ListOffsets asks for the log start offset. */
const EARLIEST_TIMESTAMP = -2n;
const PRODUCER_ID = 1000n;

export class FixtureBroker {
  /** Every request frame received, in arrival order across connections. */
  readonly frames: RecordedFrame[] = [];
  /** What went wrong while answering; a capture with problems is not trusted. */
  readonly problems: string[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly closing = new AbortController();
  private nextConnectionId = 1;

  private constructor(
    private readonly server: Server,
    private readonly log: MemoryLog,
    private readonly groups: ConsumerGroups,
    /** The version ranges answered to ApiVersions; requests outside them are refused. */
    private readonly advertised: readonly VersionRange[],
  ) {}

  static async start(
    log: MemoryLog,
    groups: ConsumerGroups,
    advertised: readonly VersionRange[],
  ): Promise<FixtureBroker> {
    const server = createServer();
    const broker = new FixtureBroker(server, log, groups, advertised);
    server.on('connection', (socket) => broker.serve(socket));
    server.listen(0, HOST);
    await once(server, 'listening');
    return broker;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('broker is not listening on TCP');
    return address.port;
  }

  get bootstrap(): string {
    return `${HOST}:${this.port}`;
  }

  async close(): Promise<void> {
    this.closing.abort();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    const connectionId = this.nextConnectionId++;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    /** Answers go out in request order: each one waits for the previous. */
    let answered: Promise<void> = Promise.resolve();
    socket.on('data', (data: Buffer) => {
      pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
      while (pending.length >= SIZE_PREFIX_BYTES) {
        const sizeBytes = pending.readInt32BE(0);
        if (sizeBytes < 0 || sizeBytes > CaptureLimits.maxFrameBytes) {
          this.problems.push(`connection ${connectionId}: frame size ${sizeBytes} out of bounds`);
          socket.destroy();
          return;
        }
        if (pending.length < SIZE_PREFIX_BYTES + sizeBytes) break;
        // A copy, so that nothing done while answering can touch the recorded bytes.
        const payload = Buffer.from(pending.subarray(SIZE_PREFIX_BYTES, SIZE_PREFIX_BYTES + sizeBytes));
        pending = pending.subarray(SIZE_PREFIX_BYTES + sizeBytes);
        const frame = this.record(connectionId, payload, socket);
        if (frame === null) return;
        answered = answered.then(() => this.answerInOrder(frame, socket));
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private record(connectionId: number, payload: Buffer, socket: Socket): RecordedFrame | null {
    if (this.frames.length >= CaptureLimits.framesPerSessionMax) {
      this.problems.push(`more than ${CaptureLimits.framesPerSessionMax} frames: the client is looping`);
      socket.destroy();
      return null;
    }
    const { apiKey, apiVersion, correlationId } = readRequestPreamble(payload);
    const frame = { connectionId, apiKey, apiVersion, correlationId, receivedAtMs: Date.now(), payload };
    this.frames.push(frame);
    return frame;
  }

  private async answerInOrder(frame: RecordedFrame, socket: Socket): Promise<void> {
    if (socket.destroyed) return;
    try {
      const chunks = await this.answer(frame);
      if (chunks === null || socket.destroyed) return;
      socket.cork();
      for (const chunk of chunks) socket.write(chunk);
      socket.uncork();
    } catch (error) {
      this.problems.push(
        `connection ${frame.connectionId}: api ${frame.apiKey} v${frame.apiVersion} ` +
          `correlation ${frame.correlationId}: ${(error as Error).message}`,
      );
      socket.destroy();
    }
  }

  /** The response frame for a request, or null when none is due (acks=0 produce). */
  private async answer(frame: RecordedFrame): Promise<Buffer[] | null> {
    if (frame.apiKey === ApiKey.ApiVersions && frame.apiVersion > API_VERSIONS_MAX_VERSION) {
      // As Kafka does: a v0 body with UNSUPPORTED_VERSION and our ApiVersions range, header v0; the
      // client retries with a version in that range. The body is still decoded, to check the codec.
      decodeRequestFrame(frame.payload);
      return encodeResponseFrame(Apis.ApiVersions, 0, frame.correlationId, {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: this.advertised.filter((range) => range.apiKey === ApiKey.ApiVersions),
      });
    }
    const advertised = this.advertised.find((range) => range.apiKey === frame.apiKey);
    if (!advertised || frame.apiVersion < advertised.minVersion || frame.apiVersion > advertised.maxVersion) {
      throw new Error('API version not advertised');
    }
    const request = decodeRequestFrame(frame.payload);
    const version = frame.apiVersion;
    const correlationId = frame.correlationId;
    switch (frame.apiKey) {
      case ApiKey.ApiVersions:
        return encodeResponseFrame(Apis.ApiVersions, version, correlationId, {
          errorCode: ErrorCode.NONE,
          apiKeys: [...this.advertised],
          throttleTimeMs: 0,
        });
      case ApiKey.Metadata:
        return this.answerMetadata(request.body as MetadataRequest, version, correlationId);
      case ApiKey.Produce:
        return this.answerProduce(request.body as ProduceRequest, version, correlationId);
      case ApiKey.Fetch:
        return this.answerFetch(request.body as FetchRequest, version, correlationId);
      case ApiKey.ListOffsets:
        return this.answerListOffsets(request.body as ListOffsetsRequest, version, correlationId);
      case ApiKey.FindCoordinator: {
        const body = request.body as FindCoordinatorRequest;
        return encodeResponseFrame(Apis.FindCoordinator, version, correlationId, {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          nodeId: BROKER_ID,
          host: HOST,
          port: this.port,
          coordinators: body.coordinatorKeys.map((key) => ({
            key,
            nodeId: BROKER_ID,
            host: HOST,
            port: this.port,
          })),
        });
      }
      case ApiKey.JoinGroup:
        return this.answerJoinGroup(request, version, correlationId);
      case ApiKey.SyncGroup: {
        const body = request.body as SyncGroupRequest;
        const known = this.groups.isMember(body.groupId, body.memberId);
        const assignment = known
          ? this.groups.sync(body.groupId, body.memberId, body.assignments)
          : undefined;
        return encodeResponseFrame(Apis.SyncGroup, version, correlationId, {
          errorCode: known ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID,
          assignment: assignment ?? Buffer.alloc(0),
        });
      }
      case ApiKey.Heartbeat: {
        const body = request.body as HeartbeatRequest;
        const known = this.groups.isMember(body.groupId, body.memberId);
        return encodeResponseFrame(Apis.Heartbeat, version, correlationId, {
          errorCode: known ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID,
        });
      }
      case ApiKey.LeaveGroup: {
        const body = request.body as LeaveGroupRequest;
        this.groups.leave(body.groupId, body.memberId);
        return encodeResponseFrame(Apis.LeaveGroup, version, correlationId, { errorCode: ErrorCode.NONE });
      }
      case ApiKey.OffsetCommit:
        return this.answerOffsetCommit(request.body as OffsetCommitRequest, version, correlationId);
      case ApiKey.OffsetFetch:
        return this.answerOffsetFetch(request.body as OffsetFetchRequest, version, correlationId);
      case ApiKey.InitProducerId: {
        const body = request.body as InitProducerIdRequest;
        if (body.transactionalId !== null) throw new Error('transactions are not served');
        return encodeResponseFrame(Apis.InitProducerId, version, correlationId, {
          errorCode: ErrorCode.NONE,
          producerId: PRODUCER_ID,
          producerEpoch: 0,
        });
      }
      default:
        throw new Error(`the capture broker does not answer ${request.api.name}`);
    }
  }

  private answerMetadata(body: MetadataRequest, version: number, correlationId: number): Buffer[] {
    // null asks for every topic, an empty list for brokers only; a named topic is created on first mention.
    const names = body.topics === null ? this.log.topics() : body.topics.map((topic) => topic.name);
    const topics = names.map((name) => {
      if (name === null) throw new Error('metadata request names a topic by id only');
      this.log.partition(name);
      return {
        errorCode: ErrorCode.NONE,
        name,
        isInternal: false,
        partitions: [
          {
            errorCode: ErrorCode.NONE,
            partitionIndex: 0,
            leaderId: BROKER_ID,
            replicaNodes: [BROKER_ID],
            isrNodes: [BROKER_ID],
            offlineReplicas: [],
          },
        ],
      };
    });
    return encodeResponseFrame(Apis.Metadata, version, correlationId, {
      throttleTimeMs: 0,
      brokers: [{ nodeId: BROKER_ID, host: HOST, port: this.port, rack: null }],
      clusterId: CLUSTER_ID,
      controllerId: BROKER_ID,
      topics,
    });
  }

  private answerProduce(body: ProduceRequest, version: number, correlationId: number): Buffer[] | null {
    if (body.transactionalId !== null) throw new Error('transactions are not served');
    const responses = body.topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map((partition) => {
        if (partition.index !== 0 || partition.records === null) {
          return { index: partition.index, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1n };
        }
        const baseOffset = this.log.partition(topic.name).append(partition.records);
        return {
          index: partition.index,
          errorCode: ErrorCode.NONE,
          baseOffset: BigInt(baseOffset),
          logAppendTimeMs: -1n,
          logStartOffset: 0n,
        };
      }),
    }));
    if (body.acks === 0) return null;
    return encodeResponseFrame(Apis.Produce, version, correlationId, { responses, throttleTimeMs: 0 });
  }

  private async answerFetch(body: FetchRequest, version: number, correlationId: number): Promise<Buffer[]> {
    // Data or an error for some partition is answered at once, as Kafka does.
    const answerNow = body.topics.some((topic) =>
      topic.partitions.some((partition) => {
        if (partition.partition !== 0 || !this.log.has(topic.topic)) return true;
        return Number(partition.fetchOffset) !== this.log.partition(topic.topic).logEndOffset;
      }),
    );
    if (!answerNow) {
      // A long poll: hold the fetch for max_wait_ms (bounded) before answering with nothing, so that the
      // client does not spin.
      const waitMs = Math.min(Math.max(body.maxWaitMs, 0), CaptureLimits.fetchWaitMaxMs);
      await sleep(waitMs, undefined, { signal: this.closing.signal }).catch(() => undefined);
    }
    const responses = body.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((partition) => {
        if (partition.partition !== 0 || !this.log.has(topic.topic)) {
          return { partitionIndex: partition.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        }
        const log = this.log.partition(topic.topic);
        const fetchOffset = Number(partition.fetchOffset);
        const endOffset = BigInt(log.logEndOffset);
        if (fetchOffset < 0 || fetchOffset > log.logEndOffset) {
          return {
            partitionIndex: partition.partition,
            errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
            highWatermark: endOffset,
            lastStableOffset: endOffset,
            logStartOffset: 0n,
          };
        }
        return {
          partitionIndex: partition.partition,
          errorCode: ErrorCode.NONE,
          highWatermark: endOffset,
          lastStableOffset: endOffset,
          logStartOffset: 0n,
          abortedTransactions: [],
          preferredReadReplica: -1,
          records: log.read(fetchOffset, partition.partitionMaxBytes),
        };
      }),
    }));
    return encodeResponseFrame(Apis.Fetch, version, correlationId, {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      sessionId: 0,
      responses,
    });
  }

  private answerListOffsets(body: ListOffsetsRequest, version: number, correlationId: number): Buffer[] {
    const topics = body.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => {
        if (partition.partitionIndex !== 0) {
          return {
            partitionIndex: partition.partitionIndex,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          };
        }
        const endOffset = this.log.partition(topic.name).logEndOffset;
        // Earliest is 0; latest and any other timestamp get the log end (no time index here).
        const offset = partition.timestamp === EARLIEST_TIMESTAMP ? 0 : endOffset;
        return {
          partitionIndex: partition.partitionIndex,
          errorCode: ErrorCode.NONE,
          timestamp: -1n,
          offset: BigInt(offset),
        };
      }),
    }));
    return encodeResponseFrame(Apis.ListOffsets, version, correlationId, { throttleTimeMs: 0, topics });
  }

  private answerJoinGroup(request: DecodedRequest, version: number, correlationId: number): Buffer[] {
    const body = request.body as JoinGroupRequest;
    const clientId = request.header.clientId ?? 'client';
    const outcome = this.groups.join(body.groupId, body.memberId, clientId, body.protocols);
    if (outcome.kind === 'member-id-required') {
      return encodeResponseFrame(Apis.JoinGroup, version, correlationId, {
        errorCode: ErrorCode.MEMBER_ID_REQUIRED,
        generationId: -1,
        protocolName: '',
        leader: '',
        memberId: outcome.memberId,
        members: [],
      });
    }
    return encodeResponseFrame(Apis.JoinGroup, version, correlationId, {
      errorCode: ErrorCode.NONE,
      generationId: outcome.generationId,
      protocolName: outcome.protocolName,
      leader: outcome.memberId,
      memberId: outcome.memberId,
      members: [
        { memberId: outcome.memberId, groupInstanceId: body.groupInstanceId, metadata: outcome.metadata },
      ],
    });
  }

  private answerOffsetCommit(body: OffsetCommitRequest, version: number, correlationId: number): Buffer[] {
    const topics = body.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => {
        this.groups.commit(body.groupId, topic.name, partition.partitionIndex, partition.committedOffset);
        return { partitionIndex: partition.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    return encodeResponseFrame(Apis.OffsetCommit, version, correlationId, { throttleTimeMs: 0, topics });
  }

  private answerOffsetFetch(body: OffsetFetchRequest, version: number, correlationId: number): Buffer[] {
    const requested =
      body.topics ?? this.log.topics().map((name) => ({ name, partitionIndexes: [0] as number[] }));
    const topics = requested.map((topic) => ({
      name: topic.name,
      partitions: topic.partitionIndexes.map((partitionIndex) => ({
        partitionIndex,
        committedOffset: this.groups.committed(body.groupId, topic.name, partitionIndex),
        metadata: '',
        errorCode: ErrorCode.NONE,
      })),
    }));
    return encodeResponseFrame(Apis.OffsetFetch, version, correlationId, {
      throttleTimeMs: 0,
      topics,
      errorCode: ErrorCode.NONE,
    });
  }
}
