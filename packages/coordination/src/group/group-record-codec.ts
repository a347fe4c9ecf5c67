/**
 * The records of the offsets topic (`__consumer_offsets`), in Kafka's byte layout so that compaction by key
 * works and Kafka's tools can read them. Every key and value starts with an int16 version.
 *
 * Keys:
 * - versions 0 and 1, an offset commit: `group STRING, topic STRING, partition INT32` (written as 1);
 * - version 2, group metadata: `group STRING`.
 *
 * Values (a null value is a tombstone: the key is deleted):
 * - OffsetCommitValue v0: `offset INT64, metadata STRING, commit_timestamp INT64`;
 *   v1: `offset INT64, metadata STRING, commit_timestamp INT64, expire_timestamp INT64`;
 *   v2: as v0; v3: `offset INT64, leader_epoch INT32, metadata STRING, commit_timestamp INT64`.
 *   Written as v1 when the commit carries an explicit retention, else v3, as Kafka does.
 * - GroupMetadataValue v0: `protocol_type STRING, generation INT32, protocol NULLABLE_STRING,
 *   leader NULLABLE_STRING, members [member_id STRING, client_id STRING, client_host STRING,
 *   session_timeout INT32, subscription BYTES, assignment BYTES]`; v1 adds `rebalance_timeout INT32` before
 *   `session_timeout`; v2 adds `current_state_timestamp INT64` after `leader`; v3 adds
 *   `group_instance_id NULLABLE_STRING` after `member_id`. Written as v3.
 *
 * Versions 4 (flexible) are not read: only Sluice writes this topic, and it writes the versions above.
 */
import { DecodeError, Reader, Writer } from '@sluice/protocol';

export interface OffsetCommitValue {
  readonly offset: bigint;
  /** -1 when the committer did not say. */
  readonly leaderEpoch: number;
  readonly metadata: string;
  /** Wall-clock time of the commit, ms since the epoch. */
  readonly commitTimestampMs: number;
  /** Wall-clock time after which the offset expires (an explicit retention), or null for the group rule. */
  readonly expireTimestampMs: number | null;
}

export interface StoredGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  /** The member's metadata for the group's protocol (a consumer's subscription). */
  readonly subscription: Buffer;
  readonly assignment: Buffer;
}

export interface GroupMetadataValue {
  readonly protocolType: string;
  readonly generationId: number;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  /** Wall-clock time the group entered its current state, or null when not recorded. */
  readonly currentStateTimestampMs: number | null;
  readonly members: readonly StoredGroupMember[];
}

export type GroupRecord =
  | {
      readonly type: 'offset-commit';
      readonly groupId: string;
      readonly topic: string;
      readonly partition: number;
      readonly value: OffsetCommitValue | null;
    }
  | { readonly type: 'group-metadata'; readonly groupId: string; readonly value: GroupMetadataValue | null };

/** A record whose key or value version this code does not know. */
export class GroupRecordFormatError extends Error {
  override readonly name = 'GroupRecordFormatError';
}

const OFFSET_COMMIT_KEY_VERSION = 1;
const GROUP_METADATA_KEY_VERSION = 2;
const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;
const OFFSET_COMMIT_VALUE_VERSION = 3;
const GROUP_METADATA_VALUE_VERSION = 3;

export function encodeGroupRecordKey(record: GroupRecord): Buffer {
  const writer = new Writer(64);
  if (record.type === 'offset-commit') {
    writer
      .int16(OFFSET_COMMIT_KEY_VERSION)
      .string(record.groupId)
      .string(record.topic)
      .int32(record.partition);
  } else {
    writer.int16(GROUP_METADATA_KEY_VERSION).string(record.groupId);
  }
  return writer.toBuffer();
}

/** The value bytes, or null for a tombstone. */
export function encodeGroupRecordValue(record: GroupRecord): Buffer | null {
  if (record.value === null) return null;
  return record.type === 'offset-commit'
    ? encodeOffsetCommitValue(record.value)
    : encodeGroupMetadataValue(record.value);
}

function encodeOffsetCommitValue(value: OffsetCommitValue): Buffer {
  const writer = new Writer(64);
  if (value.expireTimestampMs !== null) {
    writer
      .int16(OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY)
      .int64(value.offset)
      .string(value.metadata)
      .int64(BigInt(value.commitTimestampMs))
      .int64(BigInt(value.expireTimestampMs));
  } else {
    writer
      .int16(OFFSET_COMMIT_VALUE_VERSION)
      .int64(value.offset)
      .int32(value.leaderEpoch)
      .string(value.metadata)
      .int64(BigInt(value.commitTimestampMs));
  }
  return writer.toBuffer();
}

function encodeGroupMetadataValue(value: GroupMetadataValue): Buffer {
  const writer = new Writer(256);
  writer
    .int16(GROUP_METADATA_VALUE_VERSION)
    .string(value.protocolType)
    .int32(value.generationId)
    .nullableString(value.protocolName)
    .nullableString(value.leaderId)
    .int64(BigInt(value.currentStateTimestampMs ?? -1))
    .arrayLength(value.members.length);
  for (const member of value.members) {
    writer
      .string(member.memberId)
      .nullableString(member.groupInstanceId)
      .string(member.clientId)
      .string(member.clientHost)
      .int32(member.rebalanceTimeoutMs)
      .int32(member.sessionTimeoutMs)
      .bytes(member.subscription)
      .bytes(member.assignment);
  }
  return writer.toBuffer();
}

/**
 * Decodes one record of the offsets topic. Throws a DecodeError for bytes that do not parse and a
 * GroupRecordFormatError for a version this code does not know. Byte fields are copied out of `value`.
 */
export function decodeGroupRecord(key: Buffer, value: Buffer | null): GroupRecord {
  const reader = new Reader(key);
  const keyVersion = reader.int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const groupId = reader.string();
    const topic = reader.string();
    const partition = reader.int32();
    expectEnd(reader, 'offset commit key');
    return {
      type: 'offset-commit',
      groupId,
      topic,
      partition,
      value: value === null ? null : decodeOffsetCommitValue(value),
    };
  }
  if (keyVersion === GROUP_METADATA_KEY_VERSION) {
    const groupId = reader.string();
    expectEnd(reader, 'group metadata key');
    return {
      type: 'group-metadata',
      groupId,
      value: value === null ? null : decodeGroupMetadataValue(value),
    };
  }
  throw new GroupRecordFormatError(`unknown offsets topic key version ${keyVersion}`);
}

function decodeOffsetCommitValue(bytes: Buffer): OffsetCommitValue {
  const reader = new Reader(bytes);
  const version = reader.int16();
  if (version < 0 || version > 3) {
    throw new GroupRecordFormatError(`unknown offset commit value version ${version}`);
  }
  const offset = reader.int64();
  const leaderEpoch = version >= 3 ? reader.int32() : -1;
  const metadata = reader.string();
  const commitTimestampMs = Number(reader.int64());
  const expireTimestampMs = version === 1 ? Number(reader.int64()) : null;
  expectEnd(reader, 'offset commit value');
  return {
    offset,
    leaderEpoch,
    metadata,
    commitTimestampMs,
    expireTimestampMs: expireTimestampMs === null || expireTimestampMs < 0 ? null : expireTimestampMs,
  };
}

function decodeGroupMetadataValue(bytes: Buffer): GroupMetadataValue {
  const reader = new Reader(bytes);
  const version = reader.int16();
  if (version < 0 || version > 3) {
    throw new GroupRecordFormatError(`unknown group metadata value version ${version}`);
  }
  const protocolType = reader.string();
  const generationId = reader.int32();
  const protocolName = reader.nullableString();
  const leaderId = reader.nullableString();
  const stateTimestamp = version >= 2 ? Number(reader.int64()) : -1;
  const count = reader.arrayLength();
  const members: StoredGroupMember[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = reader.string();
    const groupInstanceId = version >= 3 ? reader.nullableString() : null;
    const clientId = reader.string();
    const clientHost = reader.string();
    const sessionOrRebalance = reader.int32();
    const sessionTimeoutMs = version >= 1 ? reader.int32() : sessionOrRebalance;
    const subscription = Buffer.from(reader.bytes());
    const assignment = Buffer.from(reader.bytes());
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeoutMs: sessionOrRebalance,
      sessionTimeoutMs,
      subscription,
      assignment,
    });
  }
  expectEnd(reader, 'group metadata value');
  return {
    protocolType,
    generationId,
    protocolName,
    leaderId,
    currentStateTimestampMs: stateTimestamp < 0 ? null : stateTimestamp,
    members,
  };
}

function expectEnd(reader: Reader, what: string): void {
  if (reader.remaining !== 0) {
    throw new DecodeError(`${reader.remaining} bytes left over after the ${what}`, reader.offset);
  }
}
