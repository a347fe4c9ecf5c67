import { Consumer, type ConsumerOptions, type TopicPartition } from '../../src/index.js';
import { testLogger } from './group-targets.js';
import { QUICK_MEMBER_OPTIONS } from './quick-member-options.js';

/** One record as a member processed it. */
export interface Processed {
  readonly member: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: string | null;
  readonly atMs: number;
}

export interface ListenerEvent {
  readonly member: string;
  readonly kind: 'assigned' | 'revoked' | 'lost';
  readonly partitions: TopicPartition[];
  readonly atMs: number;
}

export interface MemberSettings extends Partial<ConsumerOptions<string, string>> {
  /** Time each batch takes (or a function asked before each batch). */
  readonly processingMs?: number | (() => number);
}

/**
 * A group member in this process: subscribes, then processes batches (recording each record in `sink`)
 * until stopped. Records its listener events.
 */
export class InProcessMember {
  readonly consumer: Consumer<string, string>;
  readonly events: ListenerEvent[] = [];
  private readonly stopping = new AbortController();
  private readonly running: Promise<void>;
  failure: unknown = null;

  constructor(
    readonly name: string,
    bootstrap: string,
    topics: readonly string[] | RegExp,
    readonly sink: Processed[],
    settings: MemberSettings = {},
  ) {
    const { processingMs = 0, ...options } = settings;
    this.consumer = new Consumer<string, string>({
      bootstrapServers: bootstrap,
      groupId: 'group',
      ...QUICK_MEMBER_OPTIONS,
      retryBackoffMs: 50,
      retryBackoffMaxMs: 300,
      reconnectBackoffMs: 50,
      reconnectBackoffMaxMs: 300,
      logger: testLogger.child({ member: name }),
      ...options,
    });
    const record = (kind: ListenerEvent['kind']) => (partitions: TopicPartition[]) => {
      this.events.push({ member: name, kind, partitions, atMs: Date.now() });
    };
    this.consumer.subscribe(topics, {
      onPartitionsAssigned: record('assigned'),
      onPartitionsRevoked: record('revoked'),
      onPartitionsLost: record('lost'),
    });
    this.running = this.consumer
      .eachBatch(
        async (batch) => {
          const delayMs = typeof processingMs === 'function' ? processingMs() : processingMs;
          if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
          const atMs = Date.now();
          for (const r of batch.records) {
            sink.push({
              member: name,
              topic: r.topic,
              partition: r.partition,
              offset: r.offset,
              value: r.value,
              atMs,
            });
          }
        },
        { signal: this.stopping.signal },
      )
      .catch((error: unknown) => {
        this.failure = error;
      });
  }

  /** The partitions this member holds according to its listener. */
  owned(): string[] {
    const owned = new Set<string>();
    for (const event of this.events) {
      for (const { topic, partition } of event.partitions) {
        if (event.kind === 'assigned') owned.add(`${topic}-${partition}`);
        else owned.delete(`${topic}-${partition}`);
      }
    }
    return [...owned].sort();
  }

  /** Stops processing and closes the consumer (revoking, committing, leaving the group). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    await this.consumer.close();
  }
}

/** `topic-partition-offset` keys of what was processed, with how many times each was. */
export function processedCounts(sink: readonly Processed[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { topic, partition, offset } of sink) {
    const key = `${topic}-${partition}-${offset}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
