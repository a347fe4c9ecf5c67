import { Kafka, logLevel } from 'kafkajs';

export function kafkajs(bootstrap: string, clientId = 'sluice-test'): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
}

export interface KafkajsFetchedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

interface KafkajsInternalBroker {
  fetch(request: unknown): Promise<{
    responses: { topicName: string; partitions: { errorCode: number; messages: KafkajsFetchedRecord[] }[] }[];
  }>;
}

interface KafkajsInternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findBroker(request: { nodeId: number }): Promise<KafkajsInternalBroker>;
}

/**
 * Reads a partition with kafkajs's own Fetch request and record batch decoder. kafkajs consumes only in
 * consumer groups, so this goes one level down, to the cluster object its consumers use.
 */
export async function fetchWithKafkajs(
  bootstrap: string,
  topic: string,
  partition = 0,
  fromOffset = 0,
): Promise<KafkajsFetchedRecord[]> {
  const kafka = kafkajs(bootstrap, 'sluice-test-fetch') as unknown as Record<symbol, unknown>;
  const createCluster = Object.getOwnPropertySymbols(kafka).find(
    (symbol) => symbol.description === 'private:Kafka:createCluster',
  );
  if (!createCluster) throw new Error('kafkajs has changed: no createCluster');
  const cluster = (kafka[createCluster] as (options: object) => KafkajsInternalCluster)({});
  await cluster.connect();
  try {
    await cluster.refreshMetadata();
    const broker = await cluster.findBroker({ nodeId: 1 });
    const records: KafkajsFetchedRecord[] = [];
    let offset = fromOffset;
    for (;;) {
      const response = await broker.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 10 * 1024 * 1024,
        topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes: 1024 * 1024 }] }],
      });
      const data = response.responses[0].partitions[0];
      if (data.errorCode !== 0) throw new Error(`kafkajs fetch error ${data.errorCode}`);
      const fresh = data.messages.filter((message) => Number(message.offset) >= offset);
      if (fresh.length === 0) return records;
      records.push(...fresh);
      offset = Number(fresh[fresh.length - 1].offset) + 1;
    }
  } finally {
    await cluster.disconnect();
  }
}
