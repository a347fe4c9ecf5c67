import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sluiceBroker from '@sluice/broker';
import { type InProcessBroker, startSluiceBroker } from '@sluice/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from './run-cli.js';

interface JsonRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  keyEncoding?: string;
  value: string | null;
  valueEncoding?: string;
  headers: { key: string; value: string | null }[];
}

function jsonLines(stdout: string): JsonRecord[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as JsonRecord);
}

describe('sluice produce and consume against a Sluice broker', () => {
  let broker: InProcessBroker<sluiceBroker.Broker>;
  let directory: string;
  const sluice = (args: string[], input?: string | Buffer) =>
    runCli(['--bootstrap-server', broker.bootstrap, ...args], { input });

  beforeAll(async () => {
    broker = await startSluiceBroker(sluiceBroker, { 'auto.create.topics.enable': 'false' });
    directory = mkdtempSync(join(tmpdir(), 'sluice-cli-test-'));
    for (const [topic, partitions] of [
      ['events', '1'],
      ['files', '1'],
      ['spread', '3'],
      ['times', '1'],
      ['live', '2'],
    ]) {
      expect((await sluice(['topics', 'create', topic, '--partitions', partitions])).code).toBe(0);
    }
  });

  afterAll(async () => {
    await broker?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('produces lines from stdin with keys and headers, and prints them back as JSON with their metadata', async () => {
    const produced = await sluice(
      ['produce', 'events', '--key-separator', ':', '--header', 'source=test', '-H', 'trace=t-1'],
      'user-1:login\nuser-2:logout:now\nno key here\n\n',
    );
    expect(produced.code).toBe(0);
    expect(produced.stderr).toBe('Produced 4 records to events.\n');

    const consumed = await sluice(['consume', 'events', '--from-beginning', '--exit', '--format', 'json']);
    expect(consumed.code).toBe(0);
    expect(consumed.stderr).toContain('Processed a total of 4 messages.');
    const records = jsonLines(consumed.stdout);
    expect(records.map(({ key, value, offset, partition }) => ({ key, value, offset, partition }))).toEqual([
      { key: 'user-1', value: 'login', offset: 0, partition: 0 },
      { key: 'user-2', value: 'logout:now', offset: 1, partition: 0 },
      { key: null, value: 'no key here', offset: 2, partition: 0 },
      { key: null, value: '', offset: 3, partition: 0 },
    ]);
    for (const record of records) {
      expect(record.topic).toBe('events');
      expect(record.headers).toEqual([
        { key: 'source', value: 'test' },
        { key: 'trace', value: 't-1' },
      ]);
      expect(Math.abs(record.timestamp - Date.now())).toBeLessThan(60_000);
    }
  });

  it('prints keys and values with a separator, and values alone', async () => {
    const keyValue = await sluice([
      'consume',
      'events',
      '-B',
      '-e',
      '--format',
      'key-value',
      '--key-separator',
      ' = ',
    ]);
    expect(keyValue.stdout).toBe('user-1 = login\nuser-2 = logout:now\n = no key here\n = \n');
    const values = await sluice(['consume', 'events', '-B', '-e']);
    expect(values.stdout).toBe('login\nlogout:now\nno key here\n\n');
  });

  it('produces a file, compressed, with leader acks, and passes binary values through untouched', async () => {
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0d]);
    const file = join(directory, 'input.bin');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from('first\n'), binary, Buffer.from('\nlast line without newline')]),
    );
    const produced = await sluice([
      'produce',
      'files',
      '--file',
      file,
      '--acks',
      '1',
      '--compression',
      'gzip',
    ]);
    expect(produced.code).toBe(0);
    expect(produced.stderr).toBe('Produced 3 records to files.\n');

    const values = await sluice(['consume', 'files', '-B', '-e']);
    expect(values.stdoutBytes).toEqual(
      Buffer.concat([Buffer.from('first\n'), binary, Buffer.from('\nlast line without newline\n')]),
    );
    const [, second] = jsonLines((await sluice(['consume', 'files', '-B', '-e', '-F', 'json'])).stdout);
    expect(second.valueEncoding).toBe('base64');
    expect(Buffer.from(second.value!, 'base64')).toEqual(binary);

    const missing = await sluice(['produce', 'files', '--file', join(directory, 'nope.txt')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ENOENT');
  });

  it('starts at an offset, N records before the end, or the end, per partition', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `k${i % 5}:v${i}`).join('\n');
    expect((await sluice(['produce', 'spread', '-K', ':'], lines)).code).toBe(0);
    const all = jsonLines((await sluice(['consume', 'spread', '-B', '-e', '-F', 'json'])).stdout);
    expect(all).toHaveLength(30);
    const partition0 = all.filter((record) => record.partition === 0);

    const fromOffset = jsonLines(
      (await sluice(['consume', 'spread', '-p', '0', '--offset', '2', '-e', '-F', 'json'])).stdout,
    );
    expect(fromOffset.map((record) => record.value)).toEqual(
      partition0.slice(2).map((record) => record.value),
    );

    const lastTwo = jsonLines(
      (await sluice(['consume', 'spread', '--offset', '-2', '-e', '-F', 'json'])).stdout,
    );
    const partitions = [...new Set(all.map((record) => record.partition))];
    expect(lastTwo).toHaveLength(2 * partitions.length);

    const fromEnd = await sluice(['consume', 'spread', '--offset', 'latest', '--exit']);
    expect(fromEnd.code).toBe(0);
    expect(fromEnd.stdout).toBe('');
    expect(fromEnd.stderr).toContain('Processed a total of 0 messages.');

    const noPartition = await sluice(['consume', 'spread', '-p', '7', '-e']);
    expect(noPartition.code).toBe(1);
    expect(noPartition.stderr).toContain('spread has no partition 7');
  });

  it('stops after --max-messages', async () => {
    const limited = await sluice(['consume', 'spread', '-B', '--max-messages', '4']);
    expect(limited.code).toBe(0);
    expect(limited.stdout.split('\n').filter(Boolean)).toHaveLength(4);
    expect(limited.stderr).toContain('Processed a total of 4 messages.');
  });

  it('starts at the first record at or after a timestamp, given in ms or as an ISO date-time', async () => {
    expect((await sluice(['produce', 'times'], 'old-1\nold-2\n')).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const between = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await sluice(['produce', 'times'], 'new-1\nnew-2\n')).code).toBe(0);

    const byMs = await sluice(['consume', 'times', '--from-timestamp', String(between), '-e']);
    expect(byMs.stdout).toBe('new-1\nnew-2\n');
    const byIso = await sluice([
      'consume',
      'times',
      '--from-timestamp',
      new Date(between).toISOString(),
      '-e',
    ]);
    expect(byIso.stdout).toBe('new-1\nnew-2\n');
    const lastHour = await sluice(['consume', 'times', '--from-timestamp', '-1h', '-e']);
    expect(lastHour.stdout).toBe('old-1\nold-2\nnew-1\nnew-2\n');
    const future = await sluice([
      'consume',
      'times',
      '--from-timestamp',
      String(Date.now() + 3_600_000),
      '-e',
    ]);
    expect(future.stdout).toBe('');
  });

  it('follows a topic, printing records as they are produced, until stopped', async () => {
    expect((await sluice(['produce', 'live', '-p', '0'], 'before\n')).code).toBe(0);
    const follower = startCli([
      '--bootstrap-server',
      broker.bootstrap,
      'consume',
      'live',
      '--from-beginning',
      '--follow',
    ]);
    try {
      expect(await follower.waitForLines(1)).toEqual(['before']);
      expect((await sluice(['produce', 'live', '-p', '1'], 'after-1\nafter-2\n')).code).toBe(0);
      expect(await follower.waitForLines(3)).toEqual(['before', 'after-1', 'after-2']);
      expect((await sluice(['produce', 'live', '-p', '0'], 'after-3\n')).code).toBe(0);
      expect((await follower.waitForLines(4))[3]).toBe('after-3');
    } finally {
      expect(await follower.stop('SIGTERM')).toBe(0);
    }
    expect(follower.stderr()).toContain('Processed a total of 4 messages.');
  });

  it('fails with the broker error for a topic that does not exist', async () => {
    const consumed = await sluice(['consume', 'nope', '-e']);
    expect(consumed.code).toBe(1);
    expect(consumed.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION at topics/nope');
    expect(consumed.stderr).toContain('sluice topics create');

    const produced = await runCli(
      ['--bootstrap-server', broker.bootstrap, '--timeout-ms', '3000', 'produce', 'nope'],
      {
        input: 'x\n',
      },
    );
    expect(produced.code).toBe(1);
    expect(produced.stderr).toContain('topic nope does not exist');
    expect(produced.stderr).toContain('sluice topics create nope');
  });
});
