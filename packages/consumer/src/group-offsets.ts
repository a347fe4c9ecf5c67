import {
  type Clock,
  COORDINATOR_MOVED_ERROR_CODES,
  isRetriable,
  kafkaErrorAt,
  partitionLocation,
  partitionsByTopic,
  type RandomSource,
  retry,
} from '@sluice/network';
import { Apis, ErrorCode, KafkaError } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { ResolvedConsumerOptions } from './consumer-options.js';
import type { CoordinatorChannel } from './coordinator-channel.js';
import { CommitFailedError } from './errors.js';
import { Limits } from './limits.js';

export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The offset of the next record to read (what Kafka stores as committed). */
  readonly offset: number;
}

/** Who commits: a member of a generation, or (generation -1, member '') a consumer outside group management. */
export interface CommitIdentity {
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export const NO_GROUP_IDENTITY: CommitIdentity = { generationId: -1, memberId: '', groupInstanceId: null };

/** A commit refused because the member's generation is over: retrying cannot help. */
const GENERATION_ERROR_CODES: ReadonlySet<number> = new Set([
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.FENCED_INSTANCE_ID,
]);

export interface GroupOffsetsOptions {
  readonly channel: CoordinatorChannel;
  readonly groupId: string;
  readonly options: ResolvedConsumerOptions;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: RandomSource;
}

export interface OffsetRequestOptions {
  /** No new attempt after this time (clock ms); default now + request.timeout.ms. */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Committed offsets of one group, through its coordinator: OffsetCommit (v2-5) and OffsetFetch (v1-4).
 * Both retry, with backoff until their deadline, what may succeed later: lost connections, a coordinator
 * that moved (looked up again) or is still loading its offsets. A commit that the group refuses because the
 * member's generation is over fails with CommitFailedError; REBALANCE_IN_PROGRESS fails with the protocol's
 * RebalanceInProgressError (the commit may succeed once the rebalance is over).
 */
export class GroupOffsets {
  private readonly config: GroupOffsetsOptions;

  constructor(config: GroupOffsetsOptions) {
    this.config = config;
  }

  async commit(
    offsets: readonly PartitionOffset[],
    identity: CommitIdentity,
    options: OffsetRequestOptions = {},
  ): Promise<void> {
    for (let start = 0; start < offsets.length; start += Limits.MAX_PARTITIONS_PER_OFFSET_REQUEST) {
      await this.commitChunk(
        offsets.slice(start, start + Limits.MAX_PARTITIONS_PER_OFFSET_REQUEST),
        identity,
        options,
      );
    }
  }

  /** The committed offset of each partition (by `topic\0partition`), -1 where the group has none. */
  async fetch(
    partitions: readonly { topic: string; partition: number }[],
    options: OffsetRequestOptions = {},
  ): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    for (let start = 0; start < partitions.length; start += Limits.MAX_PARTITIONS_PER_OFFSET_REQUEST) {
      const chunk = partitions.slice(start, start + Limits.MAX_PARTITIONS_PER_OFFSET_REQUEST);
      for (const [key, offset] of await this.fetchChunk(chunk, options)) result.set(key, offset);
    }
    return result;
  }

  private async commitChunk(
    offsets: readonly PartitionOffset[],
    identity: CommitIdentity,
    options: OffsetRequestOptions,
  ): Promise<void> {
    const { channel, groupId } = this.config;
    const byTopic = new Map<
      string,
      { partitionIndex: number; committedOffset: bigint; committedMetadata: string }[]
    >();
    for (const { topic, partition, offset } of offsets) {
      let list = byTopic.get(topic);
      if (list === undefined) {
        list = [];
        byTopic.set(topic, list);
      }
      list.push({ partitionIndex: partition, committedOffset: BigInt(offset), committedMetadata: '' });
    }
    await this.withRetry(options, async () => {
      const response = await channel.request(
        Apis.OffsetCommit,
        {
          groupId,
          generationIdOrMemberEpoch: identity.generationId,
          memberId: identity.memberId,
          groupInstanceId: identity.groupInstanceId,
          retentionTimeMs: -1n,
          topics: [...byTopic.entries()].map(([name, partitions]) => ({ name, partitions })),
        },
        { signal: options.signal },
      );
      for (const topic of response.topics) {
        for (const answer of topic.partitions) {
          if (answer.errorCode === 0) continue;
          const error = kafkaErrorAt(answer.errorCode, partitionLocation(topic.name, answer.partitionIndex));
          if (GENERATION_ERROR_CODES.has(answer.errorCode)) {
            throw new CommitFailedError(
              `groups/${groupId}: the commit was refused (${error.errorName}): the group rebalanced and the ` +
                'partitions may belong to another member now',
              { cause: error },
            );
          }
          throw error;
        }
      }
    });
  }

  private async fetchChunk(
    partitions: readonly { topic: string; partition: number }[],
    options: OffsetRequestOptions,
  ): Promise<Map<string, number>> {
    const { channel, groupId } = this.config;
    const byTopic = partitionsByTopic(partitions, (entry) => entry.partition);
    return this.withRetry(options, async () => {
      const response = await channel.request(
        Apis.OffsetFetch,
        {
          groupId,
          topics: [...byTopic.entries()].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
          requireStable: false,
        },
        { signal: options.signal },
      );
      if (response.errorCode !== 0) throw kafkaErrorAt(response.errorCode, `groups/${groupId}`);
      const result = new Map<string, number>();
      for (const topic of response.topics) {
        for (const answer of topic.partitions) {
          if (answer.errorCode !== 0) {
            throw kafkaErrorAt(answer.errorCode, partitionLocation(topic.name, answer.partitionIndex));
          }
          result.set(`${topic.name}\u0000${answer.partitionIndex}`, Number(answer.committedOffset));
        }
      }
      return result;
    });
  }

  private withRetry<T>(options: OffsetRequestOptions, operation: () => Promise<T>): Promise<T> {
    const { clock, random, channel, options: consumerOptions, logger } = this.config;
    return retry(operation, {
      retryBackoffMs: consumerOptions.retryBackoffMs,
      retryBackoffMaxMs: consumerOptions.retryBackoffMaxMs,
      deadlineMs: options.deadlineMs ?? clock.nowMs() + consumerOptions.requestTimeoutMs,
      clock,
      random,
      signal: options.signal,
      isRetriable: (error) =>
        isRetriable(error) &&
        !(KafkaError.isInstance(error) && error.code === ErrorCode.REBALANCE_IN_PROGRESS),
      onRetry: (error) => {
        if (KafkaError.isInstance(error) && COORDINATOR_MOVED_ERROR_CODES.has(error.code)) {
          channel.markUnknown(error.errorName);
        }
        logger.debug({ err: error }, 'offset request retried');
      },
    });
  }
}
