import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddedStore } from '@sluice/coordination';
import { Apis } from '@sluice/protocol';
import {
  type BrokerProcess,
  freePort,
  removeDirectory,
  runCommand,
  temporaryDirectory,
} from '@sluice/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterStore } from '../src/cluster/cluster-store.js';
import { BROKER_MAIN, kcat, startBrokerProcess } from './helpers.js';
import { consumeAll } from './kcat-format.js';
import { RawClient } from './raw-client.js';

const INVALID_CONFIG = 40;
const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
const SOURCE_TOPIC = 1;
const SOURCE_DYNAMIC_BROKER = 2;
const SOURCE_DEFAULT = 5;

/** Values the log refuses, each named by the key it is given for: none may reach the coordination store. */
const BAD_TOPIC_VALUES: readonly (readonly [string, string])[] = [
  ['cleanup.policy', 'foo'],
  ['cleanup.policy', 'delete,foo'],
  ['cleanup.policy', ''],
  ['segment.index.bytes', '5'],
  ['max.message.bytes', String(2 ** 30)],
];
const BAD_BROKER_VALUES: readonly (readonly [string, string])[] = [
  ['log.cleanup.policy', 'foo'],
  ['log.cleanup.policy', 'compact,'],
  ['log.index.size.max.bytes', '5'],
  ['message.max.bytes', String(2 ** 30)],
];

async function createTopic(
  client: RawClient,
  name: string,
  configs: readonly (readonly [string, string])[],
  validateOnly = false,
) {
  const response = await client.request(Apis.CreateTopics, 3, {
    topics: [
      {
        name,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: configs.map(([key, value]) => ({ name: key, value })),
      },
    ],
    timeoutMs: 5000,
    validateOnly,
  });
  return response.topics[0];
}

async function alterConfigs(
  client: RawClient,
  resourceType: number,
  resourceName: string,
  configs: readonly (readonly [string, string])[],
  validateOnly = false,
) {
  const response = await client.request(Apis.AlterConfigs, 0, {
    resources: [{ resourceType, resourceName, configs: configs.map(([name, value]) => ({ name, value })) }],
    validateOnly,
  });
  return response.responses[0];
}

async function describeConfig(client: RawClient, resourceType: number, resourceName: string, key: string) {
  const response = await client.request(Apis.DescribeConfigs, 1, {
    resources: [{ resourceType, resourceName, configurationKeys: [key] }],
    includeSynonyms: false,
  });
  const found = response.results[0].configs.find((config) => config.name === key);
  if (!found) throw new Error(`DescribeConfigs has no ${key} for ${resourceName}`);
  return { value: found.value, source: found.configSource };
}

async function topicNames(client: RawClient): Promise<string[]> {
  const metadata = await client.request(Apis.Metadata, 4, { topics: null, allowAutoTopicCreation: false });
  return metadata.topics.map((topic) => topic.name ?? '').sort();
}

describe('config values the log would refuse', () => {
  const directories: string[] = [];
  const processes: BrokerProcess[] = [];
  const clients: RawClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const broker of processes.splice(0)) await broker.kill();
    for (const directory of directories.splice(0)) removeDirectory(directory);
  });

  const start = async (dataDir: string, port: number) => {
    const broker = await startBrokerProcess(dataDir, ['--set', `listeners=PLAINTEXT://127.0.0.1:${port}`]);
    processes.push(broker);
    const client = await RawClient.connect(port);
    clients.push(client);
    return { broker, client };
  };

  const restart = async (broker: BrokerProcess, dataDir: string, port: number) => {
    for (const client of clients.splice(0)) client.close();
    broker.child.kill('SIGTERM');
    expect(await broker.exited).toBe(0);
    processes.splice(processes.indexOf(broker), 1);
    return start(dataDir, port);
  };

  it('are refused by CreateTopics and AlterConfigs before anything is stored, and the broker starts again', async () => {
    const dataDir = temporaryDirectory();
    directories.push(dataDir);
    const port = await freePort();
    let { broker, client } = await start(dataDir, port);
    const before = await topicNames(client);

    for (const [key, value] of BAD_TOPIC_VALUES) {
      for (const validateOnly of [true, false]) {
        const created = await createTopic(client, 'refused', [[key, value]], validateOnly);
        expect(created.errorCode, `${key}=${value}`).toBe(INVALID_CONFIG);
        expect(created.errorMessage).toContain(key);
      }
    }
    expect(
      (await createTopic(client, 'either-order', [['cleanup.policy', 'delete,compact']])).errorCode,
    ).toBe(0);
    expect((await createTopic(client, 'plain', [])).errorCode).toBe(0);
    for (const [key, value] of BAD_TOPIC_VALUES) {
      const altered = await alterConfigs(client, RESOURCE_TOPIC, 'plain', [[key, value]]);
      expect(altered.errorCode, `${key}=${value}`).toBe(INVALID_CONFIG);
      expect(altered.errorMessage).toContain(key);
    }
    expect(
      (await alterConfigs(client, RESOURCE_TOPIC, 'plain', [['cleanup.policy', 'delete,compact']])).errorCode,
    ).toBe(0);
    for (const [key, value] of BAD_BROKER_VALUES) {
      for (const validateOnly of [true, false]) {
        const altered = await alterConfigs(client, RESOURCE_BROKER, '1', [[key, value]], validateOnly);
        expect(altered.errorCode, `${key}=${value}`).toBe(INVALID_CONFIG);
        expect(altered.errorMessage).toContain(key);
      }
    }
    expect(
      (await alterConfigs(client, RESOURCE_BROKER, '1', [['log.cleanup.policy', 'delete , compact']]))
        .errorCode,
    ).toBe(0);
    expect(await topicNames(client)).toEqual([...before, 'either-order', 'plain'].sort());

    ({ broker, client } = await restart(broker, dataDir, port));
    expect(await topicNames(client)).toEqual([...before, 'either-order', 'plain'].sort());
    // Either order is the one policy, kept in the form the log takes.
    expect(await describeConfig(client, RESOURCE_TOPIC, 'either-order', 'cleanup.policy')).toEqual({
      value: 'compact,delete',
      source: SOURCE_TOPIC,
    });
    expect(await describeConfig(client, RESOURCE_TOPIC, 'plain', 'cleanup.policy')).toEqual({
      value: 'compact,delete',
      source: SOURCE_TOPIC,
    });
    expect(await describeConfig(client, RESOURCE_BROKER, '1', 'log.cleanup.policy')).toEqual({
      value: 'compact,delete',
      source: SOURCE_DYNAMIC_BROKER,
    });
    await kcat(broker.bootstrap, ['-P', '-t', 'either-order', '-K', ':'], 'k1:kept\n');
    expect(
      (await consumeAll(broker.bootstrap, 'either-order')).map((record) => record.value?.toString()),
    ).toEqual(['kept']);
  });

  it('given with --set, stop the start with exit code 2 and a message naming the key', async () => {
    const dataDir = temporaryDirectory();
    directories.push(dataDir);
    for (const [key, value] of BAD_BROKER_VALUES) {
      const result = await runCommand(process.execPath, [
        BROKER_MAIN,
        '--data-dir',
        dataDir,
        '--port',
        '0',
        '--set',
        'metrics.port=-1',
        '--set',
        `${key}=${value}`,
      ]);
      expect(result.code, `${key}=${value}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^sluice-broker: .*${key.replaceAll('.', '\\.')}`));
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    const broker = await startBrokerProcess(dataDir, ['--set', 'log.cleanup.policy=delete,compact']);
    processes.push(broker);
    const client = await RawClient.connect(broker.port);
    clients.push(client);
    expect(await describeConfig(client, RESOURCE_BROKER, '1', 'log.cleanup.policy')).toMatchObject({
      value: 'compact,delete',
    });
  });

  it('already in the store are logged and left out, and the broker serves every topic', async () => {
    const dataDir = temporaryDirectory();
    directories.push(dataDir);
    const port = await freePort();
    let { broker, client } = await start(dataDir, port);
    expect((await createTopic(client, 'legacy', [['retention.ms', '3600000']])).errorCode).toBe(0);
    expect((await createTopic(client, 'neighbour', [])).errorCode).toBe(0);
    for (const c of clients.splice(0)) c.close();
    broker.child.kill('SIGTERM');
    expect(await broker.exited).toBe(0);
    processes.splice(0);

    // What an older broker could have stored: values that today's check refuses.
    const clusterId = /cluster\.id=(.+)/.exec(readFileSync(join(dataDir, 'meta.properties'), 'utf8'))![1];
    const store = await EmbeddedStore.open({ directory: join(dataDir, '__coordination') });
    try {
      const clusterStore = new ClusterStore(store, clusterId.trim());
      const legacy = (await clusterStore.loadTopics()).find((topic) => topic.record.name === 'legacy')!;
      await clusterStore.updateTopic(legacy, {
        ...legacy.record,
        configs: { ...legacy.record.configs, 'cleanup.policy': 'delete,bogus', 'segment.index.bytes': '5' },
      });
      await clusterStore.saveBrokerConfigs(1, {
        'log.cleanup.policy': 'foo',
        'log.retention.bytes': '123456789',
      });
    } finally {
      await store.close();
    }

    ({ broker, client } = await start(dataDir, port));
    const errors = broker.logs.filter((entry) => entry.level === 50);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ topic: 'legacy', key: 'cleanup.policy', value: 'delete,bogus' }),
        expect.objectContaining({ topic: 'legacy', key: 'segment.index.bytes', value: '5' }),
        expect.objectContaining({ key: 'log.cleanup.policy', value: 'foo' }),
      ]),
    );
    expect(errors).toHaveLength(3);
    // The bad keys take the broker's value; the good ones stay.
    expect(await describeConfig(client, RESOURCE_TOPIC, 'legacy', 'cleanup.policy')).toEqual({
      value: 'delete',
      source: SOURCE_DEFAULT,
    });
    expect(await describeConfig(client, RESOURCE_TOPIC, 'legacy', 'retention.ms')).toEqual({
      value: '3600000',
      source: SOURCE_TOPIC,
    });
    expect(await describeConfig(client, RESOURCE_BROKER, '1', 'log.retention.bytes')).toEqual({
      value: '123456789',
      source: SOURCE_DYNAMIC_BROKER,
    });
    for (const topic of ['legacy', 'neighbour']) {
      await kcat(broker.bootstrap, ['-P', '-t', topic], `no key in ${topic}\n`);
      expect((await consumeAll(broker.bootstrap, topic)).map((record) => record.value?.toString())).toEqual([
        `no key in ${topic}`,
      ]);
    }
    // An AlterConfigs on the topic replaces the stored set, and the next start has nothing to report.
    expect(
      (await alterConfigs(client, RESOURCE_TOPIC, 'legacy', [['retention.ms', '3600000']])).errorCode,
    ).toBe(0);
    expect(
      (await alterConfigs(client, RESOURCE_BROKER, '1', [['log.retention.bytes', '123456789']])).errorCode,
    ).toBe(0);
    ({ broker, client } = await restart(broker, dataDir, port));
    expect(broker.logs.filter((entry) => entry.level === 50)).toEqual([]);
  });
});
