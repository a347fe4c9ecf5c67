import { Cluster, networkOptionRelations, networkOptionTable, resolveOptions } from '@sluice/network';
import { Apis, decodeRecordBatches, type KafkaRecord, type RecordBatch } from '@sluice/protocol';
import { pino } from 'pino';

/**
 * Reads a whole topic back with raw Fetch requests (the producer tests cannot use @sluice/consumer, which
 * depends on this package): every batch of every partition from offset 0 to the high watermark.
 */
export async function readTopicBatches(
  bootstrap: string,
  topic: string,
): Promise<Map<number, RecordBatch[]>> {
  const cluster = new Cluster({
    ...resolveOptions(networkOptionTable, { bootstrapServers: bootstrap }, networkOptionRelations),
    allowAutoTopicCreation: false,
    logger: pino({ level: 'silent' }),
  });
  try {
    await cluster.connect();
    const metadata = await cluster.metadata.waitForTopic(topic, Date.now() + 10_000);
    const result = new Map<number, RecordBatch[]>();
    for (const { partition, leaderId } of metadata.partitions) {
      const batches: RecordBatch[] = [];
      let offset = 0n;
      for (;;) {
        const response = await cluster.request(leaderId, Apis.Fetch, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 64 * 1024 * 1024,
          isolationLevel: 0,
          topics: [
            { topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 32 * 1024 * 1024 }] },
          ],
        });
        const data = response.responses[0].partitions[0];
        if (data.errorCode !== 0)
          throw new Error(`fetch ${topic}-${partition} failed with error ${data.errorCode}`);
        const fetched = decodeRecordBatches(data.records ?? Buffer.alloc(0));
        batches.push(...fetched);
        const last = fetched[fetched.length - 1];
        if (last === undefined) break;
        offset = last.baseOffset + BigInt(last.lastOffsetDelta) + 1n;
        if (offset >= data.highWatermark) break;
      }
      result.set(partition, batches);
    }
    return result;
  } finally {
    await cluster.close();
  }
}

/** Every record of a topic, by partition, in offset order. */
export async function readTopic(bootstrap: string, topic: string): Promise<Map<number, KafkaRecord[]>> {
  const batches = await readTopicBatches(bootstrap, topic);
  return new Map(
    [...batches].map(([partition, list]) => [partition, list.flatMap((batch) => batch.records)]),
  );
}

/** Values of every record of a topic, by partition, as UTF-8 text. */
export async function readTopicValues(bootstrap: string, topic: string): Promise<Map<number, string[]>> {
  const records = await readTopic(bootstrap, topic);
  return new Map(
    [...records].map(([partition, list]) => [
      partition,
      list.map((record) => record.value?.toString('utf8') ?? '<null>'),
    ]),
  );
}
