import { DecodeError } from './decode-error.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/**
 * The embedded "consumer" protocol of Kafka's group membership (Kafka's ConsumerProtocol): what each member
 * says about itself in JoinGroup (its subscription, the protocol metadata) and what the leader hands each
 * member in SyncGroup (its assignment). The group coordinator passes both through as opaque bytes, reading
 * only the subscribed topics; members of one group must agree on them, whatever client they run (Java,
 * librdkafka/kcat, kafkajs, Sluice).
 *
 * Subscription (ConsumerProtocolSubscription), after an int16 version:
 *
 *     v0+  topics              [STRING]
 *     v0+  user_data           NULLABLE_BYTES
 *     v1+  owned_partitions    [topic STRING, partitions [INT32]]
 *     v2+  generation_id       INT32 (default -1)
 *     v3+  rack_id             NULLABLE_STRING (default null)
 *
 * Assignment (ConsumerProtocolAssignment), after an int16 version (v0 to v3 share one layout):
 *
 *     v0+  assigned_partitions [topic STRING, partitions [INT32]]
 *     v0+  user_data           NULLABLE_BYTES
 *
 * Decoding follows Kafka's rule for versions newer than this code knows: read the fields it knows and
 * ignore what follows, so a newer client's subscription still joins. Fields a version lacks take their
 * defaults; a missing trailing user_data (some old clients end after the topics) reads as null.
 */

/** The protocol type of consumer groups in JoinGroup, ListGroups and DescribeGroups. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';
/** The newest subscription version this code writes and reads field by field. */
export const CONSUMER_SUBSCRIPTION_VERSION_MAX = 3;
/** The newest assignment version this code knows (all versions share one layout). */
export const CONSUMER_ASSIGNMENT_VERSION_MAX = 3;

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface ConsumerProtocolSubscription {
  readonly version: number;
  readonly topics: readonly string[];
  readonly userData: Buffer | null;
  /** The partitions the member owns now (v1+; cooperative rebalancing relies on it). */
  readonly ownedPartitions: readonly TopicPartitions[];
  /** The generation in which the member got its owned partitions (v2+), -1 when unknown. */
  readonly generationId: number;
  readonly rackId: string | null;
}

export interface ConsumerProtocolAssignment {
  readonly version: number;
  readonly partitions: readonly TopicPartitions[];
  readonly userData: Buffer | null;
}

function writeTopicPartitions(writer: Writer, list: readonly TopicPartitions[]): void {
  writer.arrayLength(list.length);
  for (const { topic, partitions } of list) {
    writer.string(topic).arrayLength(partitions.length);
    for (const partition of partitions) writer.int32(partition);
  }
}

function readTopicPartitions(reader: Reader): TopicPartitions[] {
  const count = reader.arrayLength();
  if (count < 0) throw new DecodeError('the topic partition list is null', reader.offset);
  const list: TopicPartitions[] = [];
  for (let i = 0; i < count; i++) {
    const topic = reader.string();
    const partitionCount = reader.arrayLength();
    if (partitionCount < 0) throw new DecodeError(`the partitions of ${topic} are null`, reader.offset);
    const partitions: number[] = [];
    for (let j = 0; j < partitionCount; j++) partitions.push(reader.int32());
    list.push({ topic, partitions });
  }
  return list;
}

function readVersion(reader: Reader, what: string): number {
  const version = reader.int16();
  if (version < 0) throw new DecodeError(`${what} version ${version} is negative`, 0);
  return version;
}

function checkVersion(what: string, version: number, max: number): void {
  if (!Number.isInteger(version) || version < 0 || version > max) {
    throw new RangeError(`${what} version ${version} is not in [0, ${max}]`);
  }
}

/** Encodes a subscription at `subscription.version` (0 to CONSUMER_SUBSCRIPTION_VERSION_MAX). */
export function encodeConsumerProtocolSubscription(subscription: ConsumerProtocolSubscription): Buffer {
  const { version } = subscription;
  checkVersion('subscription', version, CONSUMER_SUBSCRIPTION_VERSION_MAX);
  const writer = new Writer(64).int16(version).arrayLength(subscription.topics.length);
  for (const topic of subscription.topics) writer.string(topic);
  writer.nullableBytes(subscription.userData);
  if (version >= 1) writeTopicPartitions(writer, subscription.ownedPartitions);
  if (version >= 2) writer.int32(subscription.generationId);
  if (version >= 3) writer.nullableString(subscription.rackId);
  return writer.toBuffer();
}

/** Decodes a member's subscription; throws DecodeError for bytes that are not one. */
export function decodeConsumerProtocolSubscription(bytes: Buffer): ConsumerProtocolSubscription {
  const reader = new Reader(bytes);
  const version = readVersion(reader, 'subscription');
  const known = Math.min(version, CONSUMER_SUBSCRIPTION_VERSION_MAX);
  const topicCount = reader.arrayLength();
  if (topicCount < 0) throw new DecodeError('the subscribed topics are null', reader.offset);
  const topics: string[] = [];
  for (let i = 0; i < topicCount; i++) topics.push(reader.string());
  const userData = reader.remaining === 0 && known === 0 ? null : reader.nullableBytes();
  const ownedPartitions = known >= 1 ? readTopicPartitions(reader) : [];
  const generationId = known >= 2 ? reader.int32() : -1;
  const rackId = known >= 3 ? reader.nullableString() : null;
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

/** Encodes an assignment at `assignment.version` (0 to CONSUMER_ASSIGNMENT_VERSION_MAX). */
export function encodeConsumerProtocolAssignment(assignment: ConsumerProtocolAssignment): Buffer {
  const { version } = assignment;
  checkVersion('assignment', version, CONSUMER_ASSIGNMENT_VERSION_MAX);
  const writer = new Writer(64).int16(version);
  writeTopicPartitions(writer, assignment.partitions);
  writer.nullableBytes(assignment.userData);
  return writer.toBuffer();
}

/**
 * Decodes the assignment SyncGroup returned; throws DecodeError for bytes that are not one. An empty
 * buffer is an empty assignment: the coordinator sends one to a member the leader left out (kafkajs's
 * leader names only members that get partitions).
 */
export function decodeConsumerProtocolAssignment(bytes: Buffer): ConsumerProtocolAssignment {
  if (bytes.length === 0) return { version: 0, partitions: [], userData: null };
  const reader = new Reader(bytes);
  const version = readVersion(reader, 'assignment');
  const partitions = readTopicPartitions(reader);
  const userData = reader.remaining === 0 ? null : reader.nullableBytes();
  return { version, partitions, userData };
}
