import {
  type CoordinationStore,
  clusterPrefix,
  type KeyValue,
  partitionKey,
  partitionsPrefix,
  topicKey,
  topicsPrefix,
} from '@sluice/coordination';
import { TopicAlreadyExistsError, UnknownTopicOrPartitionError } from '@sluice/protocol';
import { pack, unpack } from 'msgpackr';

/**
 * The cluster's metadata as kept in the coordination store (DESIGN.md, "Coordination"), msgpackr-encoded:
 *
 *   /sluice/<cluster>/topics/<name>            TopicRecord: id, replica assignment, config overrides
 *   /sluice/<cluster>/partitions/<topic>/<p>   PartitionState: leader, leader epoch, ISR, partition epoch
 *   /sluice/<cluster>/configs/brokers/<id>     dynamic broker configs (AlterConfigs)
 *   /sluice/<cluster>/producer-id-block        the next producer id block to hand out
 *
 * Every change is a transaction that compares the versions it read, so two writers never lose each other's
 * update. This class keeps no cache; MetadataCache does.
 */

export interface TopicRecord {
  readonly name: string;
  readonly topicId: string;
  /** Replica broker ids per partition, index = partition. */
  readonly replicas: readonly (readonly number[])[];
  readonly configs: Readonly<Record<string, string>>;
}

export interface PartitionState {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly partitionEpoch: number;
}

export interface StoredTopic {
  readonly record: TopicRecord;
  /** modRevision of the topic key when read: the compare of the next change. */
  readonly modRevision: number;
  readonly partitions: PartitionState[];
}

const PRODUCER_ID_BLOCK_SIZE = 1000;

export class ClusterStore {
  constructor(
    private readonly store: CoordinationStore,
    readonly clusterId: string,
  ) {}

  private topicKey(name: string): string {
    return topicKey(this.clusterId, name);
  }

  private partitionKey(topic: string, partition: number): string {
    return partitionKey(this.clusterId, topic, partition);
  }

  private brokerConfigKey(nodeId: number): string {
    return `${clusterPrefix(this.clusterId)}configs/brokers/${nodeId}`;
  }

  async loadTopics(): Promise<StoredTopic[]> {
    const topics = await this.store.getPrefix(topicsPrefix(this.clusterId));
    const partitions = await this.store.getPrefix(partitionsPrefix(this.clusterId));
    const states = new Map<string, PartitionState[]>();
    for (const kv of partitions.kvs) {
      const rest = kv.key.slice(partitionsPrefix(this.clusterId).length);
      const slash = rest.lastIndexOf('/');
      const topic = rest.slice(0, slash);
      const index = Number(rest.slice(slash + 1));
      const list = states.get(topic) ?? [];
      list[index] = unpack(kv.value) as PartitionState;
      states.set(topic, list);
    }
    return topics.kvs.map((kv: KeyValue) => {
      const record = unpack(kv.value) as TopicRecord;
      const list = states.get(record.name) ?? [];
      if (list.length !== record.replicas.length || list.some((state) => state === undefined)) {
        throw new Error(
          `topic ${record.name}: partition states do not match its ${record.replicas.length} partitions`,
        );
      }
      return { record, modRevision: kv.modRevision, partitions: list };
    });
  }

  /** Creates a topic and its partition states at once; TopicAlreadyExistsError if the name is taken. */
  async createTopic(record: TopicRecord, partitions: readonly PartitionState[]): Promise<StoredTopic> {
    const key = this.topicKey(record.name);
    const result = await this.store.txn({
      compare: [{ key, target: 'version', op: '=', value: 0 }],
      success: [
        { type: 'put', key, value: pack(record) },
        ...partitions.map((state, index) => ({
          type: 'put' as const,
          key: this.partitionKey(record.name, index),
          value: pack(state),
        })),
      ],
    });
    if (!result.succeeded) throw new TopicAlreadyExistsError(`Topic '${record.name}' already exists.`);
    return { record, modRevision: result.revision, partitions: [...partitions] };
  }

  /** Replaces a topic record read at `modRevision` (more partitions, new configs), adding partition states. */
  async updateTopic(
    current: StoredTopic,
    record: TopicRecord,
    addedPartitions: readonly PartitionState[] = [],
  ): Promise<StoredTopic> {
    const key = this.topicKey(record.name);
    const first = current.record.replicas.length;
    const result = await this.store.txn({
      compare: [{ key, target: 'modRevision', op: '=', value: current.modRevision }],
      success: [
        { type: 'put', key, value: pack(record) },
        ...addedPartitions.map((state, index) => ({
          type: 'put' as const,
          key: this.partitionKey(record.name, first + index),
          value: pack(state),
        })),
      ],
    });
    if (!result.succeeded) {
      throw new UnknownTopicOrPartitionError(
        `Topic '${record.name}' changed or was deleted meanwhile; try again.`,
      );
    }
    return { record, modRevision: result.revision, partitions: [...current.partitions, ...addedPartitions] };
  }

  async deleteTopic(name: string): Promise<void> {
    const key = this.topicKey(name);
    const result = await this.store.txn({
      compare: [{ key, target: 'version', op: '>', value: 0 }],
      success: [
        { type: 'delete', key },
        { type: 'delete', key: partitionsPrefix(this.clusterId, name), prefix: true },
      ],
    });
    if (!result.succeeded) throw new UnknownTopicOrPartitionError(`Topic '${name}' does not exist.`);
  }

  async loadBrokerConfigs(nodeId: number): Promise<Record<string, string>> {
    const kv = await this.store.get(this.brokerConfigKey(nodeId));
    return kv ? (unpack(kv.value) as Record<string, string>) : {};
  }

  async saveBrokerConfigs(nodeId: number, configs: Record<string, string>): Promise<void> {
    await this.store.put(this.brokerConfigKey(nodeId), pack(configs));
  }

  /** Reserves a block of producer ids, shared by every broker of the cluster. Returns [first, end). */
  async allocateProducerIdBlock(): Promise<[bigint, bigint]> {
    const key = `${clusterPrefix(this.clusterId)}producer-id-block`;
    for (let attempt = 0; attempt < 100; attempt++) {
      const kv = await this.store.get(key);
      const next = kv ? BigInt(unpack(kv.value) as string) : 0n;
      const end = next + BigInt(PRODUCER_ID_BLOCK_SIZE);
      const result = await this.store.txn({
        compare: kv
          ? [{ key, target: 'modRevision', op: '=', value: kv.modRevision }]
          : [{ key, target: 'version', op: '=', value: 0 }],
        success: [{ type: 'put', key, value: pack(end.toString()) }],
      });
      if (result.succeeded) return [next, end];
    }
    throw new Error('could not reserve a producer id block after 100 attempts');
  }
}
