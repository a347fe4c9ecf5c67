import * as sluiceBroker from '@sluice/broker';
import { startSluiceBroker } from '@sluice/test-support';
import { startedForSuite } from '@sluice/test-support/vitest';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('sluice topics, cluster and configs against a Sluice broker', () => {
  const broker = startedForSuite(() =>
    startSluiceBroker(sluiceBroker, { 'auto.create.topics.enable': 'false' }),
  );
  const sluice = (...args: string[]) => runCli(['--bootstrap-server', broker.bootstrap, ...args]);

  it('creates a topic with partitions and configs, and refuses to create it twice unless asked', async () => {
    const created = await sluice(
      'topics',
      'create',
      'orders',
      '--partitions',
      '3',
      '--config',
      'retention.ms=86400000',
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('Created topic orders.\n');

    const again = await sluice('topics', 'create', 'orders');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('TOPIC_ALREADY_EXISTS at topics/orders');
    expect(again.stderr).toContain('--if-not-exists');

    const tolerated = await sluice('topics', 'create', 'orders', '--if-not-exists');
    expect(tolerated.code).toBe(0);
    expect(tolerated.stdout).toBe('Topic orders already exists.\n');
  });

  it('lists topics one per line, and as JSON', async () => {
    await sluice('topics', 'create', 'payments', '-p', '1');
    const listed = await sluice('topics', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n').filter(Boolean)).toEqual(expect.arrayContaining(['orders', 'payments']));
    const json = await sluice('topics', 'list', '--json');
    expect(JSON.parse(json.stdout)).toEqual(expect.arrayContaining(['orders', 'payments']));
  });

  it('describes partitions, leader, replicas, ISR and the configs set on the topic', async () => {
    const text = await sluice('topics', 'describe', 'orders');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      'Topic: orders  PartitionCount: 3  ReplicationFactor: 1  Configs: retention.ms=86400000',
    );
    expect(text.stdout).toMatch(/PARTITION\s+LEADER\s+REPLICAS\s+ISR/);
    expect(text.stdout).toMatch(/\n2\s+1\s+1\s+1\s/);

    const json = await sluice('topics', 'describe', 'orders', '--json');
    const [topic] = JSON.parse(json.stdout);
    expect(topic).toMatchObject({
      name: 'orders',
      partitionCount: 3,
      replicationFactor: 1,
      configs: { 'retention.ms': '86400000' },
    });
    expect(
      topic.partitions.map((partition: { partition: number; leader: number; isr: number[] }) => [
        partition.partition,
        partition.leader,
        partition.isr,
      ]),
    ).toEqual([
      [0, 1, [1]],
      [1, 1, [1]],
      [2, 1, [1]],
    ]);
  });

  it('alters configs, keeping the overrides it was not told about', async () => {
    const set = await sluice('topics', 'alter', 'orders', '--config', 'segment.bytes=1048576');
    expect(set.code).toBe(0);
    const [afterSet] = JSON.parse((await sluice('topics', 'describe', 'orders', '--json')).stdout);
    expect(afterSet.configs).toEqual({ 'retention.ms': '86400000', 'segment.bytes': '1048576' });

    const removed = await sluice('topics', 'alter', 'orders', '--delete-config', 'retention.ms');
    expect(removed.code).toBe(0);
    const [afterRemove] = JSON.parse((await sluice('topics', 'describe', 'orders', '--json')).stdout);
    expect(afterRemove.configs).toEqual({ 'segment.bytes': '1048576' });

    const invalid = await sluice('topics', 'alter', 'orders', '--config', 'retention.ms=forever');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/INVALID_CONFIG|INVALID_REQUEST/);
  });

  it('adds partitions, and refuses to shrink', async () => {
    const grown = await sluice('topics', 'add-partitions', 'orders', '--partitions', '5');
    expect(grown.code).toBe(0);
    expect(grown.stdout).toBe('Topic orders now has 5 partitions (was 3).\n');
    const [topic] = JSON.parse((await sluice('topics', 'describe', 'orders', '--json')).stdout);
    expect(topic.partitionCount).toBe(5);

    const shrink = await sluice('topics', 'add-partitions', 'orders', '--partitions', '2');
    expect(shrink.code).toBe(1);
    expect(shrink.stderr).toContain('orders has 5 partitions already; partitions only grow');
  });

  it('deletes topics, and says so for one that does not exist unless --if-exists', async () => {
    const deleted = await sluice('topics', 'delete', 'payments');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe('Deleted topic payments.\n');
    expect((await sluice('topics', 'list')).stdout).not.toContain('payments');

    const missing = await sluice('topics', 'delete', 'payments');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION at topics/payments');
    expect(missing.stderr).toContain('sluice topics list');
    expect((await sluice('topics', 'delete', 'payments', '--if-exists')).code).toBe(0);
  });

  it('describes the cluster: its id, the controller and the brokers', async () => {
    const text = await sluice('cluster', 'describe');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Cluster id: ${broker.broker.clusterId}`);
    expect(text.stdout).toContain('Controller: 1');
    expect(text.stdout).toMatch(
      new RegExp(`\\n1\\s+127\\.0\\.0\\.1\\s+${broker.broker.port}\\s+-\\s+controller`),
    );
    const json = JSON.parse((await sluice('cluster', 'describe', '--json')).stdout);
    expect(json).toEqual({
      clusterId: broker.broker.clusterId,
      controllerId: 1,
      brokers: [{ nodeId: 1, host: '127.0.0.1', port: broker.broker.port, rack: null }],
    });
  });

  it('gets and sets topic configs', async () => {
    expect(
      (await sluice('configs', 'set', '--topic', 'orders', 'retention.ms=3600000', 'cleanup.policy=compact'))
        .code,
    ).toBe(0);
    const overrides = JSON.parse((await sluice('configs', 'get', '--topic', 'orders', '--json')).stdout);
    expect(overrides.map((entry: { name: string; value: string }) => [entry.name, entry.value])).toEqual([
      ['cleanup.policy', 'compact'],
      ['retention.ms', '3600000'],
      ['segment.bytes', '1048576'],
    ]);
    const one = await sluice('configs', 'get', '--topic', 'orders', 'max.message.bytes');
    expect(one.stdout).toMatch(/max\.message\.bytes\s+\d+\s+default-config/);

    expect((await sluice('configs', 'set', '--topic', 'orders', '--delete', 'cleanup.policy')).code).toBe(0);
    const all = await sluice('configs', 'get', '--topic', 'orders', '--all');
    expect(all.stdout).toMatch(/cleanup\.policy\s+delete\s+default-config/);
    expect(all.stdout).toMatch(/retention\.ms\s+3600000\s+dynamic-topic-config/);
  });

  it('gets and sets broker configs', async () => {
    const set = await sluice('configs', 'set', '--broker', '1', 'log.retention.ms=7200000');
    expect(set.code).toBe(0);
    const value = await sluice('configs', 'get', '--broker', '1', 'log.retention.ms', '--json');
    expect(JSON.parse(value.stdout)).toEqual([
      expect.objectContaining({
        name: 'log.retention.ms',
        value: '7200000',
        source: 'dynamic-broker-config',
      }),
    ]);
    const missing = await sluice('configs', 'get', '--topic', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION');
  });
});
