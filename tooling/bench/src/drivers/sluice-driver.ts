import { Admin, Consumer, Producer } from '@sluice/client';
import type { ClientDriver } from './client-driver.js';

/** The producer options the throughput runs use (linger and batch size as rdkafka_performance gets them). */
export const SLUICE_THROUGHPUT_PRODUCER = { acks: 1, lingerMs: 5, batchSizeBytes: 1_000_000 } as const;
/**
 * The producer options the latency runs use: nothing waits to fill a batch, and a batch may hold up to
 * 1,000,000 bytes, librdkafka's default batch.size (the latency producer of the librdkafka column has it).
 * With Kafka's 16 KiB a request carries 15 records of 1 KiB, and 5 in flight barely outpace 50,000
 * records/s: a backlog left by any pause drained for hundreds of ms (p99 70–340 ms in 3 of 6 runs).
 */
export const SLUICE_LATENCY_PRODUCER = { acks: 1, lingerMs: 0, batchSizeBytes: 1_000_000 } as const;
export const SLUICE_CONSUMER = {
  fetchMaxBytes: 52_428_800,
  maxPollRecords: 10_000,
} as const;

/** The Sluice client (@sluice/client): 1 partition per topic, acks=1 (idempotence off, as acks=1 requires). */
export function sluiceDriver(bootstrap: string, mode: 'throughput' | 'latency'): ClientDriver {
  const admin = new Admin({ bootstrapServers: bootstrap });
  let producer: Producer | undefined;
  const consumers = new Set<Consumer>();
  return {
    async create(topic) {
      await admin.createTopics([{ topic, numPartitions: 1 }]);
    },
    async send(topic, values) {
      producer ??= new Producer({
        bootstrapServers: bootstrap,
        ...(mode === 'throughput' ? SLUICE_THROUGHPUT_PRODUCER : SLUICE_LATENCY_PRODUCER),
      });
      await producer.send({ topic, messages: values.map((value) => ({ value, partition: 0 })) });
    },
    async consume(topic, onValue, signal, ready) {
      const consumer = new Consumer({ bootstrapServers: bootstrap, ...SLUICE_CONSUMER });
      consumers.add(consumer);
      const done = new AbortController();
      const stop = () => done.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        consumer.assign([{ topic, partition: 0, offset: 0 }]);
        ready?.();
        await consumer.eachBatch(
          (batch) => {
            const records = batch.records;
            for (let i = 0; i < records.length; i++) {
              if (onValue(records[i].value as Uint8Array)) {
                done.abort();
                return;
              }
            }
          },
          { signal: done.signal },
        );
      } finally {
        signal.removeEventListener('abort', stop);
        await consumer.close();
        consumers.delete(consumer);
      }
    },
    async remove(topic) {
      await admin.deleteTopics([topic]);
    },
    async close() {
      await producer?.close();
      await Promise.all([...consumers].map((consumer) => consumer.close()));
      await admin.close();
    },
  };
}
