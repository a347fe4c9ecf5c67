/**
 * ListOffsets, versions 1-2. Timestamp -2 is the log start offset, -1 the high watermark (the last stable
 * offset for read_committed, equal to it without transactions), anything else the first offset whose
 * batch's max timestamp is at or after it (offset -1 when there is none).
 */
import {
  Apis,
  type Input,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ListOffsetsTopicResponse,
} from '@sluice/protocol';
import { defineHandler, errorCodeOf } from './handler.js';

const LATEST_TIMESTAMP = -1n;
const EARLIEST_TIMESTAMP = -2n;
const ERROR_UNKNOWN_TOPIC_OR_PARTITION = 3;
const ERROR_NOT_LEADER_OR_FOLLOWER = 6;
const ERROR_INVALID_REQUEST = 42;

export const listOffsetsHandler = defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  api: Apis.ListOffsets,
  minVersion: 1,
  maxVersion: 2,
  async handle(broker, context, request) {
    const topics: Input<ListOffsetsTopicResponse>[] = request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((wanted) => {
        const answer = (errorCode: number, offset = -1n, timestamp = -1n) => {
          if (errorCode !== 0) context.recordError(errorCode);
          return { partitionIndex: wanted.partitionIndex, errorCode, timestamp, offset };
        };
        const partition = broker.getPartition(topic.name, wanted.partitionIndex);
        if (!partition) return answer(ERROR_UNKNOWN_TOPIC_OR_PARTITION);
        if (!partition.isLeader) return answer(ERROR_NOT_LEADER_OR_FOLLOWER);
        const log = partition.log;
        if (wanted.timestamp === LATEST_TIMESTAMP) return answer(0, BigInt(partition.highWatermark));
        if (wanted.timestamp === EARLIEST_TIMESTAMP) return answer(0, BigInt(log.logStartOffset));
        if (wanted.timestamp < 0n || wanted.timestamp > BigInt(Number.MAX_SAFE_INTEGER)) {
          return answer(ERROR_INVALID_REQUEST);
        }
        try {
          const found = log.fetchOffsetByTimestamp(Number(wanted.timestamp));
          if (!found || found.offset >= partition.highWatermark) return answer(0);
          return answer(0, BigInt(found.offset), BigInt(found.timestampMs));
        } catch (error) {
          return answer(errorCodeOf(error, context));
        }
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
});
