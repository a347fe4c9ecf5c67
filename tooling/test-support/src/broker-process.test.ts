import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerProcess } from './broker-process.js';
import { removeDirectory, temporaryDirectory } from './temporary-directory.js';

/**
 * The launcher's side of the contract, against a small program that behaves like apps/broker/dist/main.js
 * at its edges: it listens on --port, prints JSON log lines on stdout ("Sluice broker started" with the
 * port once it serves), and shuts down on SIGTERM. (The broker's own tests start the real one through it.)
 */
const BROKER_LIKE = `
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
const args = process.argv.slice(2);
writeFileSync(args[args.indexOf('--data-dir') + 1] + '/pid', String(process.pid));
const log = (entry) => process.stdout.write(JSON.stringify(entry) + '\\n');
if (args.includes('--refuse')) {
  process.stderr.write('Unknown config refuse\\n');
  process.exit(2);
}
if (!args.includes('--never-start')) {
  const server = createServer((socket) => socket.end('served'));
  server.listen(Number(args[args.indexOf('--port') + 1]), '127.0.0.1', () => {
    process.stdout.write('a line that is not JSON\\n');
    log({ msg: 'Sluice broker started', port: server.address().port, args, level: process.env.SLUICE_LOG_LEVEL });
  });
  process.on('SIGTERM', () => {
    log({ msg: 'shut down cleanly' });
    server.close(() => process.exit(0));
  });
}
setInterval(() => {}, 1_000);
`;

describe('startBrokerProcess', () => {
  let directory: string;
  let mainPath: string;

  beforeAll(() => {
    directory = temporaryDirectory('sluice-test-support-');
    mainPath = join(directory, 'broker-like.mjs');
    writeFileSync(mainPath, BROKER_LIKE);
  });

  afterAll(() => removeDirectory(directory));

  it('passes port, data directory and settings, and resolves with the port it serves on once it says so', async () => {
    const broker = await startBrokerProcess({
      mainPath,
      dataDir: directory,
      settings: { 'num.partitions': '3' },
      args: ['--node-id', '2'],
    });
    try {
      const started = broker.logs.find((entry) => entry.msg === 'Sluice broker started')!;
      expect(started.args).toEqual([
        '--port',
        '0',
        '--data-dir',
        directory,
        '--set',
        'metrics.port=-1',
        '--set',
        'num.partitions=3',
        '--node-id',
        '2',
      ]);
      expect(started.level).toBe('info');
      expect(broker.port).toBeGreaterThan(0);
      expect(broker.bootstrap).toBe(`127.0.0.1:${broker.port}`);
      const greeting = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: broker.port });
        socket.once('data', (chunk: Buffer) => resolve(chunk.toString()));
        socket.once('error', reject);
      });
      expect(greeting).toBe('served');
    } finally {
      await broker.stop();
    }
    expect(await broker.exited).toBe(0);
    expect(broker.logs.at(-1)?.msg).toBe('shut down cleanly');
  });

  it('gives it a temporary data directory when none is named, and removes it once it has stopped', async () => {
    const broker = await startBrokerProcess({ mainPath });
    expect(broker.dataDir).not.toBe(directory);
    expect(existsSync(join(broker.dataDir, 'pid'))).toBe(true);
    await broker.stop();
    expect(existsSync(broker.dataDir)).toBe(false);
  });

  it('kills with SIGKILL on kill(), and leaves a named data directory in place', async () => {
    const broker = await startBrokerProcess({ mainPath, dataDir: directory });
    await broker.kill();
    expect(await broker.exited).toBeNull();
    expect(broker.child.signalCode).toBe('SIGKILL');
    expect(existsSync(join(directory, 'pid'))).toBe(true);
  });

  it('rejects with its stderr when it exits before it serves', async () => {
    await expect(startBrokerProcess({ mainPath, dataDir: directory, args: ['--refuse'] })).rejects.toThrow(
      /exited with 2 before starting: Unknown config refuse/,
    );
  });

  it('kills it and rejects when it does not serve within the timeout', async () => {
    await expect(
      startBrokerProcess({ mainPath, dataDir: directory, args: ['--never-start'], timeoutMs: 500 }),
    ).rejects.toThrow(/did not start in 500 ms/);
    const pid = Number(readFileSync(join(directory, 'pid'), 'utf8'));
    await expect
      .poll(() => {
        try {
          process.kill(pid, 0);
          return 'running';
        } catch {
          return 'gone';
        }
      })
      .toBe('gone');
  });
});
