import type { DriverSystem } from './drivers/client-driver.js';
import type { SystemId } from './options.js';

/** What the report says about each system: how it was driven and what an acknowledgement guarantees. */
export interface SystemDescription {
  readonly id: SystemId;
  readonly label: string;
  /** The client that drives it; its npm package for the Node clients. */
  readonly client: string;
  readonly clientPackage: string | null;
  /** Which driver runs the workloads: a Node client (one process per workload) or rdkafka_performance. */
  readonly driver: DriverSystem | 'rdkafka_performance';
  readonly settings: string;
  readonly durability: string;
}

export const SYSTEMS: Record<SystemId, SystemDescription> = {
  sluice: {
    id: 'sluice',
    label: 'Sluice (own client)',
    client: '@sluice/client',
    clientPackage: null,
    driver: 'sluice',
    settings:
      'one broker, topic with 1 partition; producer acks=1 (idempotence off), linger.ms 5, batch.size 1,000,000 for throughput, linger.ms 0 for latency; consumer assign mode, eachBatch, max.partition.fetch.bytes 1 MiB (the Kafka default)',
    durability:
      'acks=1: the broker answers once the batch is appended to the partition log, i.e. written to the OS page cache; no fsync per write (default flush policy, as Kafka). A broker crash loses nothing acknowledged; a machine crash can lose what the OS had not flushed yet.',
  },
  'sluice-rdkafka': {
    id: 'sluice-rdkafka',
    label: 'Sluice (librdkafka)',
    client: 'rdkafka_performance (librdkafka, C)',
    clientPackage: null,
    driver: 'rdkafka_performance',
    settings:
      'the same broker setup; rdkafka_performance -P acks=1 linger.ms=5 batch.size=1000000 (latency: kcat -P with linger.ms=0, paced by the harness, and rdkafka_performance -C -l); -C with the librdkafka fetch defaults (fetch.max.bytes 50 MiB, max.partition.fetch.bytes 1 MiB)',
    durability: 'as Sluice (own client): acks=1, written to the page cache, the OS flushes.',
  },
  rabbitmq: {
    id: 'rabbitmq',
    label: 'RabbitMQ',
    client: 'amqplib',
    clientPackage: 'amqplib',
    driver: 'rabbitmq',
    settings:
      'one node, durable classic queue, persistent messages (delivery mode 2) on a confirm channel; consumer with manual acks (multiple, every 500), prefetch 2,000',
    durability:
      'publisher confirms on a durable queue with persistent messages: RabbitMQ confirms a message once its message store has written it to disk and fsynced (fsyncs are batched across messages). Stronger than the others here: a machine crash loses nothing confirmed.',
  },
  nats: {
    id: 'nats',
    label: 'NATS JetStream',
    client: 'nats (nats.js)',
    clientPackage: 'nats',
    driver: 'nats',
    settings:
      'nats-server -js, one stream per run with file storage, 1 replica, limits retention; js.publish awaited for its PubAck; ordered consumer (consume, 10,000 messages per pull)',
    durability:
      'file storage, publish acks: the PubAck comes once the stream has written the message to its file store (the OS page cache); the server fsyncs every sync_interval (default 2 minutes). A server crash loses nothing acknowledged; a machine crash can lose recent messages.',
  },
  redis: {
    id: 'redis',
    label: 'Redis Streams',
    client: 'ioredis',
    clientPackage: 'ioredis',
    driver: 'redis',
    settings:
      'redis-server with appendonly yes, appendfsync everysec, RDB off; XADD key * v VALUE pipelined 1,000 per pipeline; reader XREAD COUNT 10000 from the last id (no consumer group)',
    durability:
      'AOF with appendfsync everysec: the entry is in the append-only file buffer, written to the file before the reply, and fsynced once a second in the background. A server crash loses nothing acknowledged; a machine crash can lose about a second.',
  },
};
