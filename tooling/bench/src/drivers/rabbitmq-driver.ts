import { type ChannelModel, type ConfirmChannel, connect, type Message } from 'amqplib';
import type { ClientDriver } from './client-driver.js';

/** Unacknowledged deliveries the broker may push to the consumer (basic.qos). */
export const RABBITMQ_PREFETCH = 2_000;
/** The consumer acknowledges this many deliveries at once (basic.ack with multiple). */
export const RABBITMQ_ACK_EVERY = 500;

/**
 * amqplib against RabbitMQ: a durable classic queue, persistent messages (delivery mode 2) published to the
 * default exchange on a confirm channel (a send resolves when the broker has confirmed every message);
 * the consumer acknowledges manually, in groups, with a prefetch window.
 */
export function rabbitmqDriver(url: string): ClientDriver {
  let connection: ChannelModel | undefined;
  let publisher: ConfirmChannel | undefined;
  const open = async () => {
    connection ??= await connect(url);
    return connection;
  };
  return {
    async create(queue) {
      const channel = await (await open()).createChannel();
      await channel.assertQueue(queue, { durable: true, autoDelete: false });
      await channel.close();
    },
    async send(queue, values) {
      publisher ??= await (await open()).createConfirmChannel();
      const channel = publisher;
      await new Promise<void>((resolve, reject) => {
        let pending = values.length;
        let failed = false;
        const confirmed = (error: unknown) => {
          if (error && !failed) {
            failed = true;
            reject(
              error instanceof Error ? error : new Error(`message nacked by RabbitMQ: ${String(error)}`),
            );
          }
          if (--pending === 0 && !failed) resolve();
        };
        for (const value of values) channel.publish('', queue, value, { persistent: true }, confirmed);
      });
    },
    async consume(queue, onValue, signal, ready) {
      const channel = await (await open()).createChannel();
      await channel.prefetch(RABBITMQ_PREFETCH);
      let unacknowledged = 0;
      let tag = '';
      await new Promise<void>((resolve, reject) => {
        let finished = false;
        const finish = (last: Message | null) => {
          if (finished) return;
          finished = true;
          if (last && unacknowledged > 0) channel.ack(last, true);
          signal.removeEventListener('abort', aborted);
          channel.cancel(tag).then(() => resolve(), reject);
        };
        const aborted = () => finish(null);
        signal.addEventListener('abort', aborted, { once: true });
        channel
          .consume(
            queue,
            (message) => {
              if (!message || finished) return;
              unacknowledged++;
              if (onValue(message.content)) return finish(message);
              if (unacknowledged >= RABBITMQ_ACK_EVERY) {
                channel.ack(message, true);
                unacknowledged = 0;
              }
            },
            { noAck: false },
          )
          .then((reply) => {
            tag = reply.consumerTag;
            ready?.();
          }, reject);
      });
      await channel.close();
    },
    async remove(queue) {
      const channel = await (await open()).createChannel();
      await channel.deleteQueue(queue);
      await channel.close();
    },
    async close() {
      await publisher?.close();
      await connection?.close();
    },
  };
}
