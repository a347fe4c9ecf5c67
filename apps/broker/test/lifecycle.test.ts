import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type BrokerProcess, removeDirectory, runCommand, temporaryDirectory } from '@sluice/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { BROKER_NODE_FLAGS } from '../src/node-flags.js';
import { BROKER_MAIN, kcat, startBrokerProcess } from './helpers.js';
import { consumeAll } from './kcat-format.js';

describe('the broker process', () => {
  const directories: string[] = [];
  const processes: BrokerProcess[] = [];

  afterEach(async () => {
    for (const broker of processes.splice(0)) await broker.kill();
    for (const directory of directories.splice(0)) removeDirectory(directory);
  });

  const start = async (dataDir: string, ...args: string[]) => {
    const broker = await startBrokerProcess(dataDir, args);
    processes.push(broker);
    return broker;
  };

  it('shuts down cleanly on SIGTERM and serves everything again after a restart', async () => {
    const dataDir = temporaryDirectory();
    directories.push(dataDir);
    let broker = await start(dataDir, '--set', 'num.partitions=3');
    const lines = Array.from({ length: 3000 }, (_, i) => `survivor ${i}`);
    await kcat(broker.bootstrap, ['-P', '-t', 'durable', '-p', '1'], `${lines.join('\n')}\n`);
    await kcat(broker.bootstrap, ['-P', '-t', 'durable', '-p', '2'], 'other partition\n');

    broker.child.kill('SIGTERM');
    expect(await broker.exited).toBe(0);
    expect(broker.logs.some((entry) => entry.msg === 'shut down cleanly')).toBe(true);
    expect(existsSync(join(dataDir, '.sluice-clean-shutdown'))).toBe(true);

    broker = await start(dataDir);
    const records = await consumeAll(broker.bootstrap, 'durable', 1);
    expect(records.map((record) => record.value?.toString())).toEqual(lines);
    expect(
      (await consumeAll(broker.bootstrap, 'durable', 2)).map((record) => record.value?.toString()),
    ).toEqual(['other partition']);
    const metadata = JSON.parse((await kcat(broker.bootstrap, ['-L', '-J', '-t', 'durable'])).toString()) as {
      topics: { partitions: unknown[] }[];
    };
    expect(metadata.topics[0].partitions).toHaveLength(3);
  });

  it('keeps every acknowledged record, in order and once, across kill -9 with flush.messages=1', async () => {
    const dataDir = temporaryDirectory();
    directories.push(dataDir);
    let broker = await start(dataDir, '--set', 'log.flush.interval.messages=1');
    await kcat(broker.bootstrap, ['-P', '-t', 'crash', '-X', 'acks=all'], 'seed\n');
    const acknowledged: string[] = ['seed'];
    const attempted: string[] = ['seed'];
    const killAfterMs = 300 + Math.floor(Math.random() * 700);
    const killed = new Promise<void>((resolve) =>
      setTimeout(() => {
        broker.child.kill('SIGKILL');
        resolve();
      }, killAfterMs),
    );
    let stop = false;
    void killed.then(() => {
      stop = true;
    });
    for (let round = 0; !stop; round++) {
      const lines = Array.from({ length: 20 }, (_, i) => `round ${round} line ${i}`);
      attempted.push(...lines);
      const result = await runCommand(
        'kcat',
        [
          '-b',
          broker.bootstrap,
          '-P',
          '-t',
          'crash',
          '-X',
          'acks=all',
          '-X',
          'enable.idempotence=true',
          '-X',
          'message.timeout.ms=3000',
        ],
        { input: `${lines.join('\n')}\n` },
      );
      if (result.code === 0 && !/fail|error/i.test(result.stderr)) acknowledged.push(...lines);
    }
    await killed;
    await broker.exited;

    broker = await start(dataDir);
    const stored = (await consumeAll(broker.bootstrap, 'crash')).map(
      (record) => record.value?.toString() ?? '',
    );
    expect(acknowledged.length).toBeGreaterThan(20);
    // Every acknowledged record is there, once, in the order sent; anything else stored was attempted.
    expect(stored.slice(0, acknowledged.length)).toEqual(acknowledged);
    expect(new Set(stored).size).toBe(stored.length);
    for (const line of stored) expect(attempted).toContain(line);
  });

  it('refuses to start on an unknown key, a bad value or a bad log level, naming it', async () => {
    const dataDir = temporaryDirectory();
    directories.push(dataDir);
    const unknown = await runCommand(process.execPath, [
      BROKER_MAIN,
      '--set',
      'log.retention.hourz=5',
      '--data-dir',
      dataDir,
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown config log.retention.hourz');
    const bad = await runCommand(process.execPath, [
      BROKER_MAIN,
      '--set',
      'num.partitions=zero',
      '--data-dir',
      dataDir,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid value "zero" for num.partitions: must be an integer at least 1');
    const level = await runCommand(process.execPath, [
      BROKER_MAIN,
      '--log-level',
      'loud',
      '--data-dir',
      dataDir,
    ]);
    expect(level.code).toBe(2);
    expect(level.stderr).toBe(
      'sluice-broker: Invalid --log-level "loud": must be one of fatal, error, warn, info, debug, trace, silent.\n',
    );
    const levelFromEnvironment = await runCommand(process.execPath, [BROKER_MAIN, '--data-dir', dataDir], {
      env: { ...process.env, SLUICE_LOG_LEVEL: 'verbose' },
    });
    expect(levelFromEnvironment.code).toBe(2);
    expect(levelFromEnvironment.stderr).toContain('Invalid SLUICE_LOG_LEVEL "verbose"');
    const help = await runCommand(process.execPath, [BROKER_MAIN, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toContain('--set KEY=VALUE');
  });

  it('runs node with its flags when started as a file, and says so when node lacks them', async () => {
    // A data directory that cannot be created: each start logs, fails and exits with 1.
    const failing = ['--port', '0', '--data-dir', '/dev/null/sluice'];
    const warning = 'node was started without the broker’s flags';
    const asFile = await runCommand(BROKER_MAIN, failing);
    expect(asFile.code).toBe(1);
    expect(asFile.stdout.toString()).toContain('the broker could not start');
    expect(asFile.stdout.toString()).not.toContain(warning);

    const plainNode = await runCommand(process.execPath, [BROKER_MAIN, ...failing]);
    expect(plainNode.code).toBe(1);
    const warned = plainNode.stdout
      .toString()
      .split('\n')
      .filter((line) => line.includes(warning))
      .map((line) => JSON.parse(line) as { level: number; missing: string[] });
    expect(warned).toEqual([expect.objectContaining({ level: 40, missing: BROKER_NODE_FLAGS })]);

    const ownValue = await runCommand(process.execPath, [
      '--initial-old-space-size=128',
      BROKER_MAIN,
      ...failing,
    ]);
    expect(ownValue.code).toBe(1);
    expect(ownValue.stdout.toString()).not.toContain(warning);
  });
});
