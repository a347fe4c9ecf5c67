import { type Clock, formatAddress, type RandomSource } from '@sluice/network';
import { Producer } from '@sluice/producer';
import type { RecordHeader } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { ResolvedConsumerOptions } from './consumer-options.js';
import { RetryDeduplicator } from './retry-deduplicator.js';
import { deliveryKey, describeError, type RetryInfo, readRetryInfo, retryHeaders } from './retry-headers.js';
import { type ResolvedRetryPolicy, type RetryPublication, retryDestination } from './retry-policy.js';

export interface RetryRouterOptions {
  readonly policy: ResolvedRetryPolicy;
  readonly options: ResolvedConsumerOptions;
  /** The partition count of a topic, waiting for its metadata if needed. */
  readonly partitionCount: (topic: string) => Promise<number>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/** A consumed record as the router needs it: where it is, its headers, and its key and value bytes. */
export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly headers: readonly RecordHeader[];
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/**
 * Re-publishes records whose handler failed, to the retry topic of their attempt or, after the last
 * attempt, to the dead-letter topic: same key, value and headers, plus the retry headers (see
 * retry-headers.ts). The partition follows the origin partition (origin partition mod the topic's
 * partition count), so a record's retries keep their order relative to its partition's other retries and
 * a duplicate lands beside its original. The producer is idempotent with acks=all: `publish` resolves once
 * the record is safely written, and only then may the consumer count the original as done.
 */
export class RetryRouter {
  readonly policy: ResolvedRetryPolicy;
  readonly deduplicator = new RetryDeduplicator();
  private readonly config: RetryRouterOptions;
  private readonly retryTopics: ReadonlySet<string>;
  private producer: Producer<Buffer | null, Buffer | null> | null = null;

  constructor(config: RetryRouterOptions) {
    this.config = config;
    this.policy = config.policy;
    this.retryTopics = new Set(config.policy.topics);
  }

  isRetryTopic(topic: string): boolean {
    return this.retryTopics.has(topic);
  }

  info(record: {
    topic: string;
    partition: number;
    offset: number;
    headers: readonly RecordHeader[];
  }): RetryInfo {
    return readRetryInfo(record, this.isRetryTopic(record.topic));
  }

  /** Whether this delivery was dealt with already (a copy re-published twice). */
  isDuplicate(info: RetryInfo): boolean {
    return info.attempt > 1 && this.deduplicator.has(deliveryKey(info));
  }

  /** Remembers a delivery from a retry topic as dealt with. */
  remember(info: RetryInfo): void {
    if (info.attempt > 1) this.deduplicator.add(deliveryKey(info));
  }

  async publish(record: RawRecord, info: RetryInfo, error: unknown): Promise<RetryPublication> {
    const destination = retryDestination(this.policy, info.attempt);
    const partitionCount = await this.config.partitionCount(destination.topic);
    const partition = info.originPartition % partitionCount;
    const notBeforeMs = destination.kind === 'retry' ? this.config.clock.nowMs() + destination.delayMs : 0;
    const errorText = describeError(error);
    const headers = retryHeaders(record.headers, info, {
      attempt: destination.kind === 'retry' ? info.attempt + 1 : info.attempt,
      notBeforeMs,
      error: errorText,
    });
    const [written] = await this.getProducer().send({
      topic: destination.topic,
      messages: [{ key: record.key, value: record.value, headers, partition }],
    });
    const publication: RetryPublication = {
      kind: destination.kind,
      topic: written.topic,
      partition: written.partition,
      offset: written.offset,
      failedAttempt: info.attempt,
      notBeforeMs,
      origin: { topic: info.originTopic, partition: info.originPartition, offset: info.originOffset },
      error: errorText,
    };
    this.config.logger.info(
      {
        from: { topic: record.topic, partition: record.partition, offset: record.offset },
        to: { topic: written.topic, partition: written.partition, offset: written.offset },
        attempt: info.attempt,
        kind: destination.kind,
      },
      destination.kind === 'retry'
        ? 'record re-published for a retry'
        : 'record sent to the dead-letter topic',
    );
    return publication;
  }

  async close(): Promise<void> {
    await this.producer?.close();
  }

  private getProducer(): Producer<Buffer | null, Buffer | null> {
    if (this.producer === null) {
      const options = this.config.options;
      this.producer = new Producer<Buffer | null, Buffer | null>({
        bootstrapServers: options.bootstrapServers.map(formatAddress),
        clientId: options.clientId,
        requestTimeoutMs: options.requestTimeoutMs,
        metadataMaxAgeMs: options.metadataMaxAgeMs,
        retryBackoffMs: options.retryBackoffMs,
        retryBackoffMaxMs: options.retryBackoffMaxMs,
        reconnectBackoffMs: options.reconnectBackoffMs,
        reconnectBackoffMaxMs: options.reconnectBackoffMaxMs,
        socketConnectionSetupTimeoutMs: options.socketConnectionSetupTimeoutMs,
        acks: 'all',
        lingerMs: 0,
        logger: this.config.logger,
        clock: this.config.clock,
        random: this.config.random,
      });
    }
    return this.producer;
  }
}
