import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Broker, resolveBrokerConfig } from '@sluice/broker';
import { pino } from 'pino';

/**
 * Sluice brokers for the client packages' tests: in this process (fast), or as a child process that can be
 * killed and restarted on the same port and data directory.
 */

export function temporaryDirectory(prefix = 'sluice-client-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDirectory(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

export interface InProcessBroker {
  readonly broker: Broker;
  readonly bootstrap: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** A broker in this process on an ephemeral port, with its own data directory (removed on stop). */
export async function startSluiceBroker(settings: Record<string, string> = {}): Promise<InProcessBroker> {
  const dataDir = temporaryDirectory();
  const config = resolveBrokerConfig(
    new Map(
      Object.entries({
        listeners: 'PLAINTEXT://127.0.0.1:0',
        'log.dirs': dataDir,
        'metrics.port': '-1',
        ...settings,
      }),
    ),
  );
  const broker = await Broker.start(config, pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' }));
  return {
    broker,
    bootstrap: `127.0.0.1:${broker.port}`,
    dataDir,
    async stop() {
      await broker.shutdown();
      removeDirectory(dataDir);
    },
  };
}

/** The broker's executable, apps/broker/dist/main.js (build it with `pnpm --filter @sluice/broker... build`). */
export function brokerMainPath(): string {
  // The workspace link of @sluice/broker beside this package (its exports map has no require entry).
  return fileURLToPath(new URL('../../node_modules/@sluice/broker/dist/main.js', import.meta.url));
}

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly bootstrap: string;
  readonly exited: Promise<number | null>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (a clean shutdown), then wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `node dist/main.js --port <port> --data-dir <dataDir>` and waits for its 'Sluice broker started'
 * log line. Port 0 picks a free port; pass the same port and directory again to restart it.
 */
export async function startBrokerProcess(
  dataDir: string,
  port = 0,
  settings: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<BrokerProcess> {
  const sets = Object.entries({ 'metrics.port': '-1', ...settings }).flatMap(([key, value]) => [
    '--set',
    `${key}=${value}`,
  ]);
  const child = spawn(
    process.execPath,
    [brokerMainPath(), '--port', String(port), '--data-dir', dataDir, ...sets],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLUICE_LOG_LEVEL: 'info' } },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const boundPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`broker did not start in ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.msg === 'Sluice broker started') {
          clearTimeout(timer);
          resolve(entry.port as number);
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before starting: ${stderr}`));
    });
  });
  const signalAndWait = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    child,
    port: boundPort,
    bootstrap: `127.0.0.1:${boundPort}`,
    exited,
    kill: () => signalAndWait('SIGKILL'),
    stop: () => signalAndWait('SIGTERM'),
  };
}
