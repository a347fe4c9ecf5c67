import {
  connect,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  RetentionPolicy,
  StorageType,
} from 'nats';
import type { ClientDriver } from './client-driver.js';

/**
 * How long one publish waits for its PubAck. The client's default (5 s) is shorter than a busy server
 * takes to acknowledge the tens of thousands of publishes a run keeps outstanding.
 */
export const NATS_PUBLISH_TIMEOUT_MS = 120_000;
/** Messages an ordered consumer asks the server for at once. */
export const NATS_CONSUME_MAX_MESSAGES = 10_000;

/**
 * nats.js against NATS JetStream: one stream per destination with file storage, 1 replica, limits
 * retention; a send resolves when every publish has its PubAck (the stream stored it); reading is an
 * ordered consumer (JetStream's replay of a stream, no per-message acks), like a Kafka consumer.
 */
export function natsDriver(servers: string): ClientDriver {
  let connection: NatsConnection | undefined;
  let jetstream: JetStreamClient | undefined;
  let manager: JetStreamManager | undefined;
  const open = async () => {
    connection ??= await connect({ servers, reconnect: false });
    jetstream ??= connection.jetstream();
    manager ??= await connection.jetstreamManager();
    return { jetstream, manager };
  };
  return {
    async create(stream) {
      const { manager } = await open();
      await manager.streams.add({
        name: stream,
        subjects: [stream],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        num_replicas: 1,
      });
    },
    async send(stream, values) {
      const { jetstream } = await open();
      await Promise.all(
        values.map((value) => jetstream.publish(stream, value, { timeout: NATS_PUBLISH_TIMEOUT_MS })),
      );
    },
    async consume(stream, onValue, signal, ready) {
      const { jetstream } = await open();
      const consumer = await jetstream.consumers.get(stream);
      const messages = await consumer.consume({ max_messages: NATS_CONSUME_MAX_MESSAGES });
      let stop: () => void = () => {};
      const aborted = new Promise<void>((resolve) => {
        stop = () => {
          void messages.stop();
          resolve();
        };
      });
      signal.addEventListener('abort', stop, { once: true });
      ready?.();
      try {
        // An ordered consumer replays the stream from its first message.
        const reading = (async () => {
          for await (const message of messages) {
            if (onValue(message.data)) break;
          }
        })();
        await Promise.race([reading, aborted]);
      } finally {
        signal.removeEventListener('abort', stop);
        await messages.close();
      }
    },
    async remove(stream) {
      const { manager } = await open();
      await manager.streams.delete(stream);
    },
    async close() {
      await connection?.drain();
    },
  };
}
