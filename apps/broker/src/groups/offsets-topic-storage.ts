import { setImmediate as nextMacrotask } from 'node:timers/promises';
import {
  decodeGroupRecord,
  encodeGroupRecordKey,
  encodeGroupRecordValue,
  type GroupRecord,
  type GroupStorage,
} from '@sluice/coordination';
import { decodeRecordBatches, encodeRecordBatch, UnknownTopicOrPartitionError } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { Broker } from '../broker.js';
import { OFFSETS_TOPIC_NAME } from './offsets-topic.js';

/** Bytes read from the log at a time when loading a partition (Kafka's `offsets.load.buffer.size`). */
const LOAD_BUFFER_BYTES = 5 * 1024 * 1024;

/**
 * The group coordinator's storage on the broker's own `__consumer_offsets` partitions. An append is one
 * uncompressed record batch, written as a produce with acks=all would be (the ISR must have it, and the
 * topic's flush policy decides when it is fsynced) before the promise resolves. Loading replays a partition
 * from its start offset to its high watermark.
 */
export class OffsetsTopicStorage implements GroupStorage {
  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
  ) {}

  async append(partition: number, records: readonly GroupRecord[]): Promise<void> {
    const target = this.broker.getPartition(OFFSETS_TOPIC_NAME, partition);
    if (!target) {
      throw new UnknownTopicOrPartitionError(`This broker does not host ${OFFSETS_TOPIC_NAME}-${partition}.`);
    }
    const timestamp = Date.now();
    const batch = encodeRecordBatch({
      records: records.map((record) => ({
        key: encodeGroupRecordKey(record),
        value: encodeGroupRecordValue(record),
        timestamp,
      })),
    });
    await target.appendAsLeader(batch, -1, this.broker.minInsyncReplicas(OFFSETS_TOPIC_NAME));
  }

  async load(partition: number, onRecord: (record: GroupRecord) => void): Promise<void> {
    const target = this.broker.getPartition(OFFSETS_TOPIC_NAME, partition);
    if (!target) return;
    const log = target.log;
    const endOffset = log.highWatermark;
    let offset = log.logStartOffset;
    let skipped = 0;
    while (offset < endOffset) {
      const data = log.read(offset, {
        maxBytes: LOAD_BUFFER_BYTES,
        maxOffset: endOffset,
        minOneMessage: true,
      });
      if (data.records.length === 0) break;
      const batches = decodeRecordBatches(data.records);
      if (batches.length === 0) break;
      for (const batch of batches) {
        for (const record of batch.records) {
          if (record.offset < offset) continue;
          if (record.key === null) {
            skipped++;
            continue;
          }
          let decoded: GroupRecord;
          try {
            decoded = decodeGroupRecord(record.key, record.value);
          } catch (error) {
            skipped++;
            this.logger.warn(
              { err: error, partition, offset: record.offset },
              'skipping an unreadable offsets record',
            );
            continue;
          }
          onRecord(decoded);
        }
        offset = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
      }
      // A long partition must not hold up the requests the broker serves meanwhile.
      await nextMacrotask();
    }
    if (skipped > 0) this.logger.warn({ partition, skipped }, 'records of the offsets topic were skipped');
  }
}
