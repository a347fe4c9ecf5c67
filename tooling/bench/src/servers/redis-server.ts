import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@sluice/test-support';
import { Redis } from 'ioredis';
import { debianPackageVersion } from '../machine.js';
import { removeTrackedDirectory, startProcess, trackDirectory, waitUntil } from '../processes.js';
import type { RunningServer } from './server.js';

/**
 * One redis-server on 127.0.0.1 with the append-only file on, fsync every second (appendfsync everysec),
 * RDB snapshots off, in a fresh directory.
 */
export async function startRedisServer(): Promise<RunningServer> {
  const dataDir = trackDirectory(mkdtempSync(join(tmpdir(), 'sluice-bench-redis-')));
  const port = await freePort();
  const server = startProcess('redis-server', 'redis-server', [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--dir',
    dataDir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
    '--maxmemory',
    '0',
  ]);
  try {
    await Promise.race([
      waitUntil(
        'redis-server',
        async () => {
          const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
          client.on('error', () => {}); // refused until the server listens: waitUntil retries
          try {
            await client.connect();
            await client.ping();
          } finally {
            client.disconnect();
          }
        },
        30_000,
      ),
      server.exited.then((code) => {
        throw new Error(`redis-server exited with ${code}:\n${server.recentOutput.join('\n')}`);
      }),
    ]);
  } catch (error) {
    await server.stop();
    removeTrackedDirectory(dataDir);
    throw error;
  }
  return {
    endpoint: `127.0.0.1:${port}`,
    version: debianPackageVersion('redis-server') ?? 'unknown',
    pid: server.pid,
    dataDir,
    async stop() {
      await server.stop();
      removeTrackedDirectory(dataDir);
    },
  };
}
