import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KcatMember, produceToPartitions, waitFor } from './group-clients.js';
import { type BrokerProcess, removeDirectory, startBrokerProcess, temporaryDirectory } from './helpers.js';
import { kafkajs } from './kafkajs-client.js';

const PARTITIONS = 3;

/** A port nobody listens on now, so that a restarted broker comes back where its clients expect it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('consumer groups across broker restarts', () => {
  const directories: string[] = [];
  const processes: BrokerProcess[] = [];
  const members: KcatMember[] = [];

  afterEach(async () => {
    await Promise.all(members.splice(0).map((member) => member.stop('SIGKILL')));
    for (const broker of processes.splice(0)) {
      broker.child.kill('SIGKILL');
      await broker.exited;
    }
    for (const directory of directories.splice(0)) removeDirectory(directory);
  });

  const start = async (dataDir: string, port: number) => {
    const broker = await startBrokerProcess([
      '--data-dir',
      dataDir,
      '--set',
      `listeners=PLAINTEXT://127.0.0.1:${port}`,
      '--set',
      `num.partitions=${PARTITIONS}`,
      '--set',
      'offsets.topic.num.partitions=5',
      '--set',
      'group.initial.rebalance.delay.ms=300',
      '--set',
      'group.min.session.timeout.ms=1000',
    ]);
    processes.push(broker);
    return broker;
  };

  const committed = async (bootstrap: string, groupId: string, topic: string): Promise<string[]> => {
    const admin = kafkajs(bootstrap).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      return offsets[0].partitions.sort((a, b) => a.partition - b.partition).map((entry) => entry.offset);
    } finally {
      await admin.disconnect();
    }
  };

  const describeGroup = async (bootstrap: string, groupId: string) => {
    const admin = kafkajs(bootstrap).admin();
    await admin.connect();
    try {
      return (await admin.describeGroups([groupId])).groups[0];
    } finally {
      await admin.disconnect();
    }
  };

  it('keeps committed offsets and the group through a clean restart and through kill -9', async () => {
    const dataDir = temporaryDirectory();
    directories.push(dataDir);
    const port = await freePort();
    const bootstrap = `127.0.0.1:${port}`;
    const topic = 'restart-topic';
    const groupId = 'restart-group';
    let broker = await start(dataDir, port);
    await produceToPartitions(bootstrap, topic, PARTITIONS, 10, 'one-');
    const first = new KcatMember({ bootstrap, groupId, topics: [topic] });
    members.push(first);
    await waitFor(() => first.records.length === 30, 'the first 30 records');
    const settledOffsets = async () => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const offsets = await committed(bootstrap, groupId, topic);
        if (offsets.every((offset) => offset === '10') || Date.now() > deadline) return offsets;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    expect(await settledOffsets()).toEqual(['10', '10', '10']);
    await first.stop('SIGTERM');

    // A clean restart.
    broker.child.kill('SIGTERM');
    expect(await broker.exited).toBe(0);
    broker = await start(dataDir, port);
    expect(await committed(bootstrap, groupId, topic)).toEqual(['10', '10', '10']);
    expect(await describeGroup(bootstrap, groupId)).toMatchObject({
      groupId,
      state: 'Empty',
      protocolType: 'consumer',
    });
    await produceToPartitions(bootstrap, topic, PARTITIONS, 10, 'two-');
    const second = new KcatMember({ bootstrap, groupId, topics: [topic] });
    members.push(second);
    await waitFor(() => second.records.length === 30, 'the next 30 records');
    expect(second.records.every((record) => record.value.startsWith('two-') && record.offset >= 10)).toBe(
      true,
    );
    const deadline = Date.now() + 20_000;
    while (
      (await committed(bootstrap, groupId, topic)).some((offset) => offset !== '20') &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const before = await describeGroup(bootstrap, groupId);
    expect(before.state).toBe('Stable');

    // kill -9 with the member active: the group comes back Stable with its member, which goes on.
    broker.child.kill('SIGKILL');
    await broker.exited;
    broker = await start(dataDir, port);
    const after = await describeGroup(bootstrap, groupId);
    expect(after.state).toBe('Stable');
    expect(after.members.map((member) => member.memberId)).toEqual(
      before.members.map((member) => member.memberId),
    );
    expect(await committed(bootstrap, groupId, topic)).toEqual(['20', '20', '20']);
    const seenBefore = second.records.length;
    await produceToPartitions(bootstrap, topic, PARTITIONS, 10, 'three-');
    await waitFor(
      () => second.records.filter((record) => record.value.startsWith('three-')).length === 30,
      'the records produced after the crash',
      30_000,
    );
    // Nothing already committed was read again.
    expect(second.records.slice(seenBefore).every((record) => record.offset >= 20)).toBe(true);
  });
});
