import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@sluice/test-support';
import { connect } from 'nats';
import { debianPackageVersion } from '../machine.js';
import { removeTrackedDirectory, startProcess, trackDirectory, waitUntil } from '../processes.js';
import type { RunningServer } from './server.js';

/** The oldest nats-server with JetStream. */
export const NATS_JETSTREAM_MINIMUM_VERSION = [2, 2, 0] as const;

/** One nats-server with JetStream (file storage under a fresh store directory) on 127.0.0.1. */
export async function startNatsServer(): Promise<RunningServer> {
  const dataDir = trackDirectory(mkdtempSync(join(tmpdir(), 'sluice-bench-nats-')));
  const port = await freePort();
  const server = startProcess('nats-server', 'nats-server', [
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-js',
    '-sd',
    dataDir,
    '-n',
    `sluice-bench-${process.pid}`,
  ]);
  const endpoint = `127.0.0.1:${port}`;
  try {
    await Promise.race([
      waitUntil(
        'nats-server',
        async () => {
          const connection = await connect({ servers: endpoint, reconnect: false });
          await (await connection.jetstreamManager()).getAccountInfo();
          await connection.close();
        },
        30_000,
      ),
      server.exited.then((code) => {
        throw new Error(`nats-server exited with ${code}:\n${server.recentOutput.join('\n')}`);
      }),
    ]);
  } catch (error) {
    await server.stop();
    removeTrackedDirectory(dataDir);
    throw error;
  }
  return {
    endpoint,
    version: debianPackageVersion('nats-server') ?? 'unknown',
    pid: server.pid,
    dataDir,
    async stop() {
      await server.stop();
      removeTrackedDirectory(dataDir);
    },
  };
}

/** Whether a Debian version string such as "2.9.10-1+b3" is at least `minimum`. */
export function versionAtLeast(version: string, minimum: readonly number[]): boolean {
  const parts = (version.replace(/^\d+:/, '').match(/^[\d.]+/)?.[0] ?? '0').split('.').map(Number);
  for (let i = 0; i < minimum.length; i++) {
    const part = parts[i] ?? 0;
    if (part !== minimum[i]) return part > minimum[i];
  }
  return true;
}
