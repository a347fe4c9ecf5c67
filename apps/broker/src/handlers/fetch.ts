/**
 * Fetch, versions 4-11, for consumers (replica_id -1). Reads whole batches from each partition's log up to
 * the high watermark (read_committed reads to the last stable offset, which equals it while there are no
 * transactions), within the partition and response byte limits but at least one batch for the first
 * partition that has data, as Kafka does. The batches go to the socket as the buffers read from the segment
 * files (one vectored write), never copied into one response buffer or decoded.
 *
 * When fewer than min_bytes are available the request waits in the delayed-fetch purgatory until appends
 * bring enough or max_wait_ms passes, then reads again. No incremental fetch sessions: session id 0.
 */
import {
  Apis,
  EMPTY_BUFFER,
  type FetchableTopicResponse,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartitionData,
  type Input,
} from '@sluice/protocol';
import type { Broker } from '../broker.js';
import { partitionKey } from '../cluster/delayed-fetch-purgatory.js';
import { defineHandler, errorCodeOf, type RequestContext, toOffsetNumber } from './handler.js';

const ERROR_OFFSET_OUT_OF_RANGE = 1;
const ERROR_UNKNOWN_TOPIC_OR_PARTITION = 3;
const ERROR_NOT_LEADER_OR_FOLLOWER = 6;
const ERROR_FENCED_LEADER_EPOCH = 74;
const ERROR_UNKNOWN_LEADER_EPOCH = 75;
const READ_COMMITTED = 1;

interface ReadResult {
  readonly topics: Input<FetchableTopicResponse>[];
  readonly bytes: number;
  readonly hasError: boolean;
}

export const fetchHandler = defineHandler<FetchRequest, FetchResponse>({
  api: Apis.Fetch,
  minVersion: 4,
  maxVersion: 11,
  async handle(broker, context, request) {
    const started = performance.now();
    let result = readPartitions(broker, context, request);
    const minBytes = Math.max(request.minBytes, 0);
    if (result.bytes < minBytes && request.maxWaitMs > 0 && !result.hasError && !broker.isShuttingDown) {
      const keys = request.topics.flatMap((topic) =>
        topic.partitions.map((partition) => partitionKey(topic.topic, partition.partition)),
      );
      const parked = await new Promise<boolean>((resolve) => {
        const ok = broker.purgatory.tryPark(
          { partitionKeys: keys, bytesNeeded: minBytes - result.bytes, complete: () => resolve(true) },
          request.maxWaitMs,
        );
        if (!ok) resolve(false);
      });
      if (parked) result = readPartitions(broker, context, request);
    }
    broker.metrics.requestLatency.observe(performance.now() - started, { api: 'Fetch' });
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: result.topics };
  },
});

function readPartitions(broker: Broker, context: RequestContext, request: FetchRequest): ReadResult {
  let remainingBytes = request.maxBytes;
  let minOneMessage = true;
  let bytes = 0;
  let hasError = false;
  const topics: Input<FetchableTopicResponse>[] = [];
  for (const topic of request.topics) {
    const partitions: Input<FetchResponsePartitionData>[] = [];
    topics.push({ topic: topic.topic, partitions });
    for (const wanted of topic.partitions) {
      const entry: Input<FetchResponsePartitionData> = {
        partitionIndex: wanted.partition,
        errorCode: 0,
        highWatermark: -1n,
        lastStableOffset: -1n,
        logStartOffset: -1n,
        abortedTransactions: request.isolationLevel === READ_COMMITTED ? [] : null,
        preferredReadReplica: -1,
        // Kafka answers an empty record set, never null: librdkafka refuses a null one.
        records: EMPTY_BUFFER,
      };
      partitions.push(entry);
      const fail = (code: number) => {
        entry.errorCode = code;
        context.recordError(code);
        hasError = true;
      };
      const partition = broker.getPartition(topic.topic, wanted.partition);
      if (!partition) {
        fail(ERROR_UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      if (request.replicaId >= 0 || !partition.isLeader) {
        fail(ERROR_NOT_LEADER_OR_FOLLOWER);
        continue;
      }
      if (wanted.currentLeaderEpoch >= 0 && wanted.currentLeaderEpoch !== partition.leaderEpoch) {
        fail(
          wanted.currentLeaderEpoch > partition.leaderEpoch
            ? ERROR_UNKNOWN_LEADER_EPOCH
            : ERROR_FENCED_LEADER_EPOCH,
        );
        continue;
      }
      const log = partition.log;
      const highWatermark = partition.highWatermark;
      entry.highWatermark = BigInt(highWatermark);
      entry.lastStableOffset = BigInt(highWatermark);
      entry.logStartOffset = BigInt(log.logStartOffset);
      const fetchOffset = toOffsetNumber(wanted.fetchOffset);
      if (Number.isNaN(fetchOffset)) {
        fail(ERROR_OFFSET_OUT_OF_RANGE);
        continue;
      }
      try {
        const data = log.read(fetchOffset, {
          maxBytes: Math.max(0, Math.min(wanted.partitionMaxBytes, remainingBytes)),
          maxOffset: highWatermark,
          minOneMessage,
        });
        if (data.records.length > 0) {
          entry.records = data.records;
          minOneMessage = false;
          remainingBytes -= data.records.length;
          bytes += data.records.length;
        }
      } catch (error) {
        entry.errorCode = errorCodeOf(error, context);
        hasError = true;
      }
    }
  }
  return { topics, bytes, hasError };
}
