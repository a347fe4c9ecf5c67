import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFlagsOf } from '@sluice/test-support';
import { removeTrackedDirectory, startProcess, trackDirectory } from '../processes.js';
import type { RunningServer } from './server.js';

/** apps/broker, through this package's workspace link to @sluice/broker (its exports map has no ./package.json). */
const brokerDirectory = fileURLToPath(new URL('../../node_modules/@sluice/broker/', import.meta.url));

/** apps/broker/dist/main.js, the broker's executable (build it with `pnpm --filter @sluice/bench... build`). */
export function brokerMainPath(): string {
  return join(brokerDirectory, 'dist', 'main.js');
}

export function brokerVersion(): string {
  return (JSON.parse(readFileSync(join(brokerDirectory, 'package.json'), 'utf8')) as { version: string })
    .version;
}

export interface SluiceServerOptions {
  /** Write a V8 CPU profile of the broker into this directory when it stops. */
  readonly cpuProfileDir?: string;
}

/**
 * One Sluice broker: `node <its Node flags> apps/broker/dist/main.js` (as running the file would) on
 * 127.0.0.1 and a free port, a fresh data directory, 1 partition per topic, metrics off, default flush
 * policy (the OS flushes; acks=1 means written to the leader's log in the page cache).
 */
export async function startSluiceServer(options: SluiceServerOptions = {}): Promise<RunningServer> {
  const dataDir = trackDirectory(mkdtempSync(join(tmpdir(), 'sluice-bench-sluice-')));
  const nodeArguments = options.cpuProfileDir
    ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir, '--cpu-prof-name', 'broker.cpuprofile']
    : [];
  let announcePort: (port: number) => void = () => {};
  const announced = new Promise<number>((resolve) => {
    announcePort = resolve;
  });
  const broker = startProcess(
    'sluice broker',
    process.execPath,
    [
      ...nodeFlagsOf(brokerMainPath()),
      ...nodeArguments,
      brokerMainPath(),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--set',
      'metrics.port=-1',
      '--set',
      'num.partitions=1',
    ],
    {
      env: { ...process.env, SLUICE_LOG_LEVEL: 'info' },
      onLine(line) {
        if (!line.includes('Sluice broker started')) return;
        try {
          announcePort((JSON.parse(line) as { port: number }).port);
        } catch {
          // Not a JSON log line.
        }
      },
    },
  );
  const port = await Promise.race([
    announced,
    broker.exited.then((code) => {
      throw new Error(`Sluice broker exited with ${code}:\n${broker.recentOutput.join('\n')}`);
    }),
  ]);
  return {
    endpoint: `127.0.0.1:${port}`,
    version: brokerVersion(),
    pid: broker.pid,
    dataDir,
    async stop() {
      await broker.stop();
      removeTrackedDirectory(dataDir);
    },
  };
}
