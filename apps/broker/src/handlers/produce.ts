/**
 * Produce, versions 0-7, record batch v2 (magic 2) only: versions 0-2 are advertised because librdkafka up
 * to 2.11 compresses with gzip, snappy or lz4 only when a broker's Produce range includes version 0; a
 * request carrying an older message format gets UNSUPPORTED_FOR_MESSAGE_FORMAT. Each partition's batches
 * are validated and appended by the log without decoding a record; acks=0 gets no response (and an error closes the connection, as Kafka
 * does, so the producer notices), acks=1 and acks=-1 are answered once the topic's flush policy is met (in a
 * cluster of one the ISR is this broker, so -1 only adds the min.insync.replicas check). An idempotent
 * retry of one of a producer's last five batches is answered with its original offsets.
 */
import type { LogAppendInfo } from '@sluice/log';
import {
  Apis,
  BatchLayout,
  CorruptMessageError,
  CURRENT_MAGIC,
  type Input,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponseTopicProduceResponse,
  UnsupportedForMessageFormatError,
} from '@sluice/protocol';
import type { Broker } from '../broker.js';
import type { Partition } from '../cluster/partition.js';
import { CloseConnection } from '../network/connection.js';
import { defineHandler, errorCodeOf } from './handler.js';

interface PartitionOutcome {
  readonly index: number;
  errorCode: number;
  errorMessage: string | null;
  info: LogAppendInfo | null;
}

const ERROR_INVALID_TOPIC = 17;
const ERROR_INVALID_REQUIRED_ACKS = 21;
const ERROR_UNKNOWN_TOPIC_OR_PARTITION = 3;
const ERROR_INVALID_REQUEST = 42;

export const produceHandler = defineHandler<ProduceRequest, ProduceResponse>({
  api: Apis.Produce,
  minVersion: 0,
  maxVersion: 7,
  async handle(broker, context, request) {
    const started = performance.now();
    const acks = request.acks;
    const pending: Promise<void>[] = [];
    const outcomes: { name: string; partitions: PartitionOutcome[] }[] = [];
    for (const topic of request.topicData) {
      const partitions: PartitionOutcome[] = [];
      outcomes.push({ name: topic.name, partitions });
      for (const data of topic.partitionData) {
        const outcome: PartitionOutcome = { index: data.index, errorCode: 0, errorMessage: null, info: null };
        partitions.push(outcome);
        const fail = (code: number, message: string | null) => {
          outcome.errorCode = code;
          outcome.errorMessage = message;
          context.recordError(code);
        };
        if (acks !== 0 && acks !== 1 && acks !== -1) {
          fail(ERROR_INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, not ${acks}.`);
          continue;
        }
        if (request.transactionalId !== null) {
          fail(ERROR_INVALID_REQUEST, 'Transactional produce is not supported by this broker.');
          continue;
        }
        if (broker.isInternalTopic(topic.name)) {
          fail(ERROR_INVALID_TOPIC, `Topic '${topic.name}' is internal: only the broker writes to it.`);
          continue;
        }
        const partition = broker.getPartition(topic.name, data.index);
        if (!partition) {
          fail(ERROR_UNKNOWN_TOPIC_OR_PARTITION, `This server does not host ${topic.name}-${data.index}.`);
          continue;
        }
        pending.push(
          appendPartition(broker, partition, data.records, acks, outcome).catch((error: unknown) => {
            outcome.errorCode = errorCodeOf(error, context);
            outcome.errorMessage = error instanceof Error ? error.message : String(error);
          }),
        );
      }
    }
    await Promise.all(pending);
    broker.metrics.requestLatency.observe(performance.now() - started, { api: 'Produce' });
    if (acks === 0) {
      const failed = outcomes.flatMap((topic) => topic.partitions).find((outcome) => outcome.errorCode !== 0);
      if (failed) {
        throw new CloseConnection('produce_failed', `acks=0: ${failed.errorMessage ?? failed.errorCode}`);
      }
      return null;
    }
    const responses: Input<ProduceResponseTopicProduceResponse>[] = outcomes.map(({ name, partitions }) => ({
      name,
      partitionResponses: partitions.map((outcome) => ({
        index: outcome.index,
        errorCode: outcome.errorCode,
        baseOffset: outcome.info ? BigInt(outcome.info.firstOffset) : -1n,
        logAppendTimeMs: outcome.info ? BigInt(outcome.info.logAppendTimeMs) : -1n,
        logStartOffset: outcome.info ? BigInt(outcome.info.logStartOffset) : -1n,
        recordErrors: [],
        errorMessage: outcome.errorMessage,
      })),
    }));
    return { responses, throttleTimeMs: 0 };
  },
});

async function appendPartition(
  broker: Broker,
  partition: Partition,
  records: Buffer | null,
  acks: number,
  outcome: PartitionOutcome,
): Promise<void> {
  if (records === null || records.length === 0) {
    throw new CorruptMessageError(
      `Produce to ${partition.topic}-${partition.index} carries no record batch.`,
    );
  }
  if (records.length > BatchLayout.MAGIC && records[BatchLayout.MAGIC] !== CURRENT_MAGIC) {
    throw new UnsupportedForMessageFormatError(
      `${partition.topic}-${partition.index}: message format ${records[BatchLayout.MAGIC]} is not supported; send record batches (magic ${CURRENT_MAGIC}).`,
    );
  }
  // The partition wakes the fetches waiting on it as soon as the bytes are in, before the flush.
  const info = await partition.appendAsLeader(records, acks, broker.minInsyncReplicas(partition.topic));
  if (!info.duplicate) broker.metrics.messagesIn.inc({}, info.recordCount);
  outcome.info = info;
}
