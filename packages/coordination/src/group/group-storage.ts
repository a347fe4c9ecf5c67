import {
  decodeGroupRecord,
  encodeGroupRecordKey,
  encodeGroupRecordValue,
  type GroupRecord,
} from './group-record-codec.js';

/**
 * Where the coordinator keeps its records: the partitions of the offsets topic. The broker implements it on
 * `__consumer_offsets`; tests use `InMemoryGroupStorage`.
 */
export interface GroupStorage {
  /**
   * Appends `records`, in order, to one partition; resolves once they are stored as the topic's policy
   * requires (acks=all, flushed per its flush policy), rejects (a KafkaError where it can) if they are not.
   * Appends to one partition complete in the order they were made.
   */
  append(partition: number, records: readonly GroupRecord[]): Promise<void>;
  /** Replays every record of one partition, oldest first. */
  load(partition: number, onRecord: (record: GroupRecord) => void): Promise<void>;
}

/**
 * A GroupStorage in memory that keeps each record as its encoded key and value bytes, so that everything
 * written goes through the real codec. `beforeAppend` lets a test fail or delay appends.
 */
export class InMemoryGroupStorage implements GroupStorage {
  private readonly partitions = new Map<number, { key: Buffer; value: Buffer | null }[]>();
  private readonly tails = new Map<number, Promise<void>>();
  /** Called before each append; a throw or a rejection fails the append (nothing is stored). */
  beforeAppend: ((partition: number, records: readonly GroupRecord[]) => void | Promise<void>) | null = null;
  appendCount = 0;

  append(partition: number, records: readonly GroupRecord[]): Promise<void> {
    const encoded = records.map((record) => ({
      key: encodeGroupRecordKey(record),
      value: encodeGroupRecordValue(record),
    }));
    // Appends to one partition complete in order, even when `beforeAppend` delays some of them.
    const previous = this.tails.get(partition) ?? Promise.resolve();
    const appended = previous.then(async () => {
      await this.beforeAppend?.(partition, records);
      let log = this.partitions.get(partition);
      if (!log) {
        log = [];
        this.partitions.set(partition, log);
      }
      log.push(...encoded);
      this.appendCount++;
    });
    this.tails.set(
      partition,
      appended.catch(() => undefined),
    );
    return appended;
  }

  async load(partition: number, onRecord: (record: GroupRecord) => void): Promise<void> {
    for (const { key, value } of this.partitions.get(partition) ?? [])
      onRecord(decodeGroupRecord(key, value));
  }

  /** Records stored in a partition, decoded. */
  records(partition: number): GroupRecord[] {
    return (this.partitions.get(partition) ?? []).map(({ key, value }) => decodeGroupRecord(key, value));
  }

  /** Records stored in every partition, decoded. */
  allRecords(): GroupRecord[] {
    return [...this.partitions.keys()].sort((a, b) => a - b).flatMap((partition) => this.records(partition));
  }
}
