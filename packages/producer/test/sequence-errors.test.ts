import {
  decodeRecordBatch,
  type Input,
  type MetadataRequest,
  type MetadataResponse,
  OutOfOrderSequenceNumberError,
  type ProduceRequest,
  type ProduceResponse,
} from '@sluice/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  apiVersionsReply,
  type ReceivedRequest,
  type Reply,
  ScriptedBroker,
} from '../../network/test/support/scripted-broker.js';
import { Producer, type ProducerOptions } from '../src/index.js';

/**
 * The idempotent producer's answers to sequence errors, against a scripted broker: a minimal one-broker
 * cluster whose partition log de-duplicates by producer id and sequence as Kafka does, and into which a
 * test injects the errors a real broker gives only after crashes, retention or bugs
 * (OUT_OF_ORDER_SEQUENCE_NUMBER for the next batch, UNKNOWN_PRODUCER_ID, DUPLICATE_SEQUENCE_NUMBER).
 */

const logger = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });
const TOPIC = 'scripted';
const ERROR = {
  NOT_LEADER_OR_FOLLOWER: 6,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  UNKNOWN_PRODUCER_ID: 59,
};

interface StoredBatch {
  producerId: bigint;
  firstSequence: number;
  lastSequence: number;
  baseOffset: number;
}

/** One partition's log with Kafka's duplicate detection (the last 5 batches of each producer). */
class ScriptedLog {
  readonly values: string[] = [];
  private readonly batches: StoredBatch[] = [];
  /** The batches the broker saw, in arrival order: producer id and base sequence. */
  readonly arrivals: { producerId: bigint; baseSequence: number }[] = [];
  /** Errors to answer instead of appending, keyed by `${producerId}/${baseSequence}`, used once each. */
  readonly inject = new Map<string, number>();
  /** Errors to answer instead of appending, keyed by arrival number (0 for the first batch). */
  readonly injectArrival = new Map<number, number>();

  append(records: Buffer): { errorCode: number; baseOffset: bigint } {
    const batch = decodeRecordBatch(records);
    const { producerId, baseSequence } = batch;
    this.arrivals.push({ producerId, baseSequence });
    const byArrival = this.injectArrival.get(this.arrivals.length - 1);
    if (byArrival !== undefined) return { errorCode: byArrival, baseOffset: -1n };
    const injected = this.inject.get(`${producerId}/${baseSequence}`);
    if (injected !== undefined) {
      this.inject.delete(`${producerId}/${baseSequence}`);
      return { errorCode: injected, baseOffset: -1n };
    }
    const lastSequence = baseSequence + batch.recordCount - 1;
    const mine = this.batches.filter((stored) => stored.producerId === producerId).slice(-5);
    const duplicate = mine.find(
      (stored) => stored.firstSequence === baseSequence && stored.lastSequence === lastSequence,
    );
    if (duplicate) return { errorCode: 0, baseOffset: BigInt(duplicate.baseOffset) };
    const last = mine[mine.length - 1];
    if (last !== undefined && baseSequence !== last.lastSequence + 1) {
      return { errorCode: ERROR.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1n };
    }
    const baseOffset = this.values.length;
    for (const record of batch.records) this.values.push(record.value!.toString());
    this.batches.push({ producerId, firstSequence: baseSequence, lastSequence, baseOffset });
    return { errorCode: 0, baseOffset: BigInt(baseOffset) };
  }
}

async function scriptedCluster(log: ScriptedLog, produceDelayMs = 0) {
  let nextProducerId = 1000n;
  const initProducerIds: bigint[] = [];
  let port = 0;
  const broker = await ScriptedBroker.start(async (request: ReceivedRequest): Promise<Reply> => {
    switch (request.apiKey) {
      case 18:
        return apiVersionsReply();
      case 3: {
        const body = request.body as MetadataRequest;
        const response: Input<MetadataResponse> = {
          brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
          clusterId: 'scripted',
          controllerId: 1,
          topics: (body.topics ?? []).map((topic) => ({
            errorCode: 0,
            name: topic.name,
            isInternal: false,
            partitions: [
              {
                errorCode: 0,
                partitionIndex: 0,
                leaderId: 1,
                leaderEpoch: 0,
                replicaNodes: [1],
                isrNodes: [1],
                offlineReplicas: [],
              },
            ],
          })),
        };
        return { kind: 'body', body: response };
      }
      case 22: {
        const producerId = nextProducerId++;
        initProducerIds.push(producerId);
        return { kind: 'body', body: { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: 0 } };
      }
      case 0: {
        if (produceDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, produceDelayMs));
        const body = request.body as ProduceRequest;
        const response: Input<ProduceResponse> = {
          throttleTimeMs: 0,
          responses: body.topicData.map((topic) => ({
            name: topic.name,
            partitionResponses: topic.partitionData.map((partition) => {
              const { errorCode, baseOffset } = log.append(partition.records!);
              return {
                index: partition.index,
                errorCode,
                baseOffset,
                logAppendTimeMs: -1n,
                logStartOffset: 0n,
                recordErrors: [],
                errorMessage: null,
              };
            }),
          })),
        };
        return { kind: 'body', body: response };
      }
      default:
        return { kind: 'close' };
    }
  });
  port = broker.port;
  return { broker, initProducerIds };
}

describe('idempotent producer sequence errors (scripted broker)', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function setUp(produceDelayMs = 0, options: Partial<ProducerOptions> = {}) {
    const log = new ScriptedLog();
    const { broker, initProducerIds } = await scriptedCluster(log, produceDelayMs);
    const producer = new Producer({
      bootstrapServers: `127.0.0.1:${broker.port}`,
      retryBackoffMs: 5,
      retryBackoffMaxMs: 20,
      logger,
      ...options,
    });
    cleanups.push(async () => {
      await producer.close({ timeoutMs: 2_000 });
      await broker.stop();
    });
    return { log, producer, initProducerIds };
  }

  it('counts DUPLICATE_SEQUENCE_NUMBER as acknowledged', async () => {
    const { log, producer } = await setUp();
    await producer.send({ topic: TOPIC, messages: [{ value: 'first' }] });
    log.inject.set(`1000/1`, ERROR.DUPLICATE_SEQUENCE_NUMBER);
    await expect(producer.send({ topic: TOPIC, messages: [{ value: 'second' }] })).resolves.toEqual([
      { topic: TOPIC, partition: 0, offset: -1 },
    ]);
  });

  it('fails the next expected batch on OUT_OF_ORDER_SEQUENCE_NUMBER, then goes on under a new producer id from sequence 0', async () => {
    const { log, producer, initProducerIds } = await setUp();
    await producer.send({ topic: TOPIC, messages: [{ value: 'a' }, { value: 'b' }] });
    log.inject.set('1000/2', ERROR.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const error = await producer
      .send({ topic: TOPIC, messages: [{ value: 'lost' }] })
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(OutOfOrderSequenceNumberError);
    expect((error as OutOfOrderSequenceNumberError & { location: string }).location).toBe(
      `topics/${TOPIC}/partitions/0`,
    );
    await expect(producer.send({ topic: TOPIC, messages: [{ value: 'c' }] })).resolves.toEqual([
      { topic: TOPIC, partition: 0, offset: 2 },
    ]);
    expect(initProducerIds).toEqual([1000n, 1001n]);
    expect(log.arrivals.slice(-1)).toEqual([{ producerId: 1001n, baseSequence: 0 }]);
    expect(log.values).toEqual(['a', 'b', 'c']);
  });

  it('takes a new producer id on UNKNOWN_PRODUCER_ID and sends the batch again under it', async () => {
    const { log, producer, initProducerIds } = await setUp();
    log.inject.set('1000/0', ERROR.UNKNOWN_PRODUCER_ID);
    await expect(
      producer.send({ topic: TOPIC, messages: [{ value: 'x' }, { value: 'y' }] }),
    ).resolves.toEqual([
      { topic: TOPIC, partition: 0, offset: 0 },
      { topic: TOPIC, partition: 0, offset: 1 },
    ]);
    expect(initProducerIds).toEqual([1000n, 1001n]);
    expect(log.arrivals).toEqual([
      { producerId: 1000n, baseSequence: 0 },
      { producerId: 1001n, baseSequence: 0 },
    ]);
    expect(log.values).toEqual(['x', 'y']);
  });

  it('resends in sequence order when one of several in-flight batches fails, writing each once', async () => {
    // Small batches, answers that take a while: several batches of the partition are in flight at once.
    const { log, producer } = await setUp(15, { batchSizeBytes: 120 });
    await producer.send({ topic: TOPIC, messages: [{ value: 'warm-up' }] });
    const values = Array.from({ length: 60 }, (_, i) => `v${String(i).padStart(2, '0')}`);
    // The second batch after the warm-up fails once with a retriable error: the batches behind it get
    // OUT_OF_ORDER_SEQUENCE_NUMBER from the log and must come again, in order.
    log.injectArrival.set(2, ERROR.NOT_LEADER_OR_FOLLOWER);
    const sends = [];
    for (let i = 0; i < values.length; i += 6) {
      sends.push(
        producer.send({ topic: TOPIC, messages: values.slice(i, i + 6).map((value) => ({ value })) }),
      );
    }
    const results = (await Promise.all(sends)).flat();
    expect(log.values).toEqual(['warm-up', ...values]);
    expect(results.map((result) => result.offset)).toEqual(values.map((_, i) => i + 1));
    const outOfOrder = log.arrivals.filter(
      (arrival, i) => i > 0 && arrival.baseSequence < log.arrivals[i - 1].baseSequence,
    );
    // The failed batch came again after later ones had arrived (and been refused as out of order).
    expect(outOfOrder.length).toBeGreaterThan(0);
  });
});
