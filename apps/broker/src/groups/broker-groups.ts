import { GroupCoordinator } from '@sluice/coordination';
import type { Logger } from 'pino';
import type { Broker } from '../broker.js';
import { ensureOffsetsTopic } from './offsets-topic.js';
import { OffsetsTopicStorage } from './offsets-topic-storage.js';

/**
 * The broker's consumer groups: the offsets topic, the storage on it and the group coordinator, configured
 * from the broker's `group.*` and `offsets.*` keys. `create` runs before the listener opens (the topic must
 * exist); `load` after, so that clients arriving meanwhile get COORDINATOR_LOAD_IN_PROGRESS, as from Kafka.
 */
export class BrokerGroups {
  private constructor(
    readonly coordinator: GroupCoordinator,
    private readonly logger: Logger,
  ) {}

  static async create(broker: Broker): Promise<BrokerGroups> {
    const logger = broker.logger.child({ component: 'groups' });
    const partitionCount = await ensureOffsetsTopic(broker, logger);
    const config = broker.config;
    const coordinator = new GroupCoordinator({
      config: {
        offsetsTopicPartitionCount: partitionCount,
        groupMinSessionTimeoutMs: config.groupMinSessionTimeoutMs,
        groupMaxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
        groupInitialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
        groupMaxSize: config.groupMaxSize,
        offsetsRetentionMs: config.offsetsRetentionMs,
        offsetsRetentionCheckIntervalMs: config.offsetsRetentionCheckIntervalMs,
      },
      storage: new OffsetsTopicStorage(broker, logger),
      logger: broker.logger,
    });
    return new BrokerGroups(coordinator, logger);
  }

  /** Replays the offsets topic; resolves once every group is back. */
  async load(): Promise<void> {
    await this.coordinator.start();
    this.logger.info({ groups: this.coordinator.groupCount }, 'consumer groups loaded');
  }

  /** Answers every waiting JoinGroup and SyncGroup (NOT_COORDINATOR) and stops the timers. */
  shutdown(): void {
    this.coordinator.shutdown();
  }
}
