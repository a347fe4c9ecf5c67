/**
 * One consumer-group member as a child process, for tests that kill members (SIGKILL) or stop them
 * (SIGTERM: a clean close). Configured by the JSON in SLUICE_MEMBER (see MemberConfig); reports what
 * it does as JSON lines on stdout (see MemberEvent), each with the wall-clock time `t` (ms).
 */
import { pino } from 'pino';
import { type AssignorName, Consumer, type TopicPartition } from '../../src/index.js';

export interface MemberConfig {
  readonly bootstrap: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly assignors?: readonly AssignorName[];
  readonly groupInstanceId?: string;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** manual: commit each batch's offsets at the end of its handler; auto: enableAutoCommit. */
  readonly commit: 'manual' | 'auto';
  /** manual: commit after every n-th batch only (default 1), leaving some work uncommitted. */
  readonly commitEveryBatches?: number;
  readonly autoCommitIntervalMs?: number;
  /** Time each batch takes to process. */
  readonly processingMs?: number;
  readonly maxPollRecords?: number;
}

export type MemberEvent =
  | { event: 'assigned' | 'revoked' | 'lost'; partitions: TopicPartition[]; t: number }
  | { event: 'batch'; topic: string; partition: number; offsets: number[]; generationId: number; t: number }
  | { event: 'committed'; topic: string; partition: number; offset: number; t: number }
  | { event: 'commit-failed'; topic: string; partition: number; message: string; t: number }
  | { event: 'error'; message: string; t: number }
  | { event: 'closed'; t: number };

const config = JSON.parse(process.env.SLUICE_MEMBER ?? '{}') as MemberConfig;

function report(event: MemberEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const consumer = new Consumer({
  bootstrapServers: config.bootstrap,
  groupId: config.groupId,
  groupInstanceId: config.groupInstanceId,
  partitionAssignmentStrategy: config.assignors,
  autoOffsetReset: 'earliest',
  sessionTimeoutMs: config.sessionTimeoutMs ?? 6_000,
  heartbeatIntervalMs: config.heartbeatIntervalMs ?? 500,
  enableAutoCommit: config.commit === 'auto',
  autoCommitIntervalMs: config.autoCommitIntervalMs ?? 500,
  maxPollRecords: config.maxPollRecords ?? 50,
  fetchMaxWaitMs: 100,
  retryBackoffMs: 50,
  retryBackoffMaxMs: 500,
  reconnectBackoffMs: 50,
  reconnectBackoffMaxMs: 500,
  logger: pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2)),
});

consumer.subscribe(config.topics, {
  onPartitionsAssigned: (partitions) => report({ event: 'assigned', partitions, t: Date.now() }),
  onPartitionsRevoked: (partitions) => report({ event: 'revoked', partitions, t: Date.now() }),
  onPartitionsLost: (partitions) => report({ event: 'lost', partitions, t: Date.now() }),
});

const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());

const processingMs = config.processingMs ?? 0;
const commitEveryBatches = config.commitEveryBatches ?? 1;
let batches = 0;
try {
  await consumer.eachBatch(
    async (batch) => {
      if (processingMs > 0) await new Promise((resolve) => setTimeout(resolve, processingMs));
      report({
        event: 'batch',
        topic: batch.topic,
        partition: batch.partition,
        offsets: batch.records.map((record) => record.offset),
        generationId: consumer.groupMetadata().generationId,
        t: Date.now(),
      });
      batches++;
      if (config.commit === 'manual' && batches % commitEveryBatches === 0) {
        const offset = batch.records[batch.records.length - 1].offset + 1;
        try {
          await consumer.commit([{ topic: batch.topic, partition: batch.partition, offset }]);
          report({
            event: 'committed',
            topic: batch.topic,
            partition: batch.partition,
            offset,
            t: Date.now(),
          });
        } catch (error) {
          // The group rebalanced: the next owner reads these records again from the last commit.
          const message = (error as Error).message;
          report({
            event: 'commit-failed',
            topic: batch.topic,
            partition: batch.partition,
            message,
            t: Date.now(),
          });
        }
      }
    },
    { signal: stop.signal },
  );
} catch (error) {
  report({ event: 'error', message: String((error as Error).stack ?? error), t: Date.now() });
}
await consumer.close();
report({ event: 'closed', t: Date.now() });
process.exit(0);
