/**
 * DeleteRecords, versions 0-1: moves a partition's log start offset forward (offset -1 means the high
 * watermark); whole segments below it are removed by retention. Beyond the high watermark is
 * OFFSET_OUT_OF_RANGE. An internal topic (`__consumer_offsets`, whose records the broker replays from its log
 * start offset to rebuild the groups) is refused with INVALID_TOPIC_EXCEPTION, as Kafka's replica manager does.
 */
import { Apis, type DeleteRecordsRequest, type DeleteRecordsResponse, ErrorCode } from '@sluice/protocol';
import { defineHandler, errorCodeOf, toOffsetNumber } from './handler.js';

const ERROR_OFFSET_OUT_OF_RANGE = ErrorCode.OFFSET_OUT_OF_RANGE;
const ERROR_UNKNOWN_TOPIC_OR_PARTITION = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
const ERROR_INVALID_TOPIC = ErrorCode.INVALID_TOPIC_EXCEPTION;

export const deleteRecordsHandler = defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>({
  api: Apis.DeleteRecords,
  minVersion: 0,
  maxVersion: 1,
  async handle(broker, context, request) {
    const topics = [];
    for (const topic of request.topics) {
      const partitions = [];
      for (const wanted of topic.partitions) {
        const answer = (errorCode: number, lowWatermark = -1n) => {
          if (errorCode !== 0) context.recordError(errorCode);
          partitions.push({ partitionIndex: wanted.partitionIndex, lowWatermark, errorCode });
        };
        if (broker.isInternalTopic(topic.name)) {
          answer(ERROR_INVALID_TOPIC);
          continue;
        }
        const partition = broker.getPartition(topic.name, wanted.partitionIndex);
        if (!partition) {
          answer(ERROR_UNKNOWN_TOPIC_OR_PARTITION);
          continue;
        }
        const offset = wanted.offset === -1n ? partition.highWatermark : toOffsetNumber(wanted.offset);
        if (Number.isNaN(offset) || offset < 0 || offset > partition.highWatermark) {
          answer(ERROR_OFFSET_OUT_OF_RANGE);
          continue;
        }
        try {
          await partition.log.maybeIncrementLogStartOffset(offset, 'DeleteRecords');
          answer(0, BigInt(partition.log.logStartOffset));
        } catch (error) {
          partitions.push({
            partitionIndex: wanted.partitionIndex,
            lowWatermark: -1n,
            errorCode: errorCodeOf(error, context),
          });
        }
      }
      topics.push({ name: topic.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});
