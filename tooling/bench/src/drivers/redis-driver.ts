import { Redis } from 'ioredis';
import type { ClientDriver } from './client-driver.js';

/** Entries one XREAD asks for. */
export const REDIS_READ_COUNT = 10_000;
/** How long one XREAD waits for new entries before asking again. */
export const REDIS_BLOCK_MS = 500;

type XreadReply = [key: Buffer, entries: [id: Buffer, fields: Buffer[]][]][] | null;

/**
 * ioredis against Redis Streams: a send is one pipeline of XADD key * v <value> (resolved when every reply
 * is in; with appendonly yes and appendfsync everysec the entry is in the AOF buffer, written to the file
 * before the reply, fsynced within a second). Reading is XREAD COUNT from the last id seen (no consumer
 * group, like a Kafka consumer reading a partition by offset).
 */
export function redisDriver(endpoint: string): ClientDriver {
  const [host, port] = endpoint.split(':');
  const writer = new Redis({ host, port: Number(port), lazyConnect: true, enableAutoPipelining: false });
  const readers = new Set<Redis>();
  return {
    async create(key) {
      if (writer.status === 'wait') await writer.connect();
      await writer.del(key);
    },
    async send(key, values) {
      const pipeline = writer.pipeline();
      for (const value of values) pipeline.xadd(key, '*', 'v', value);
      const replies = await pipeline.exec();
      for (const [error] of replies ?? []) if (error) throw error;
    },
    async consume(key, onValue, signal, ready) {
      const reader = new Redis({ host, port: Number(port), lazyConnect: true });
      reader.on('error', () => {}); // a failed read rejects; the event would only repeat it
      readers.add(reader);
      await reader.connect();
      let lastId: Buffer | string = '0-0';
      ready?.();
      try {
        reading: while (!signal.aborted) {
          const reply = (await reader.xreadBuffer(
            'COUNT',
            REDIS_READ_COUNT,
            'BLOCK',
            REDIS_BLOCK_MS,
            'STREAMS',
            key,
            lastId,
          )) as unknown as XreadReply;
          if (!reply) continue;
          const entries = reply[0][1];
          for (let i = 0; i < entries.length; i++) {
            lastId = entries[i][0];
            if (onValue(entries[i][1][1])) break reading;
          }
        }
      } finally {
        reader.disconnect();
        readers.delete(reader);
      }
    },
    async remove(key) {
      await writer.del(key);
    },
    async close() {
      for (const reader of readers) reader.disconnect();
      await writer.quit();
    },
  };
}
