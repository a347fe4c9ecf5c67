import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { nodeFlagsOf } from './node-flags.js';
import { repositoryRoot } from './repository.js';
import { removeDirectory, temporaryDirectory } from './temporary-directory.js';

/** How long a broker process may take to say it serves. */
export const BROKER_START_TIMEOUT_MS = 30_000;
/** The log line a broker prints, with its port, once it serves. */
const STARTED_MESSAGE = 'Sluice broker started';

/**
 * The broker's executable, apps/broker/dist/main.js: build it first (`pnpm --filter @sluice/broker build`;
 * a package whose tests or benchmarks start it depends on @sluice/broker, so turbo builds it for them).
 */
export function brokerMainPath(): string {
  return join(repositoryRoot(), 'apps', 'broker', 'dist', 'main.js');
}

export interface BrokerProcessOptions {
  /**
   * Its data directory (`--data-dir`), which outlives it, so that it can be started again on it. Without
   * one it gets a fresh temporary directory, removed once it has exited.
   */
  readonly dataDir?: string;
  /** Its Kafka port: 0 (the default) lets it pick a free one; the same port and directory restart it. */
  readonly port?: number;
  /** Config keys given with `--set KEY=VALUE`, over `metrics.port=-1` (no metrics listener). */
  readonly settings?: Readonly<Record<string, string>>;
  /** More command-line arguments, after the others. */
  readonly args?: readonly string[];
  /** Where its stderr goes: collected (the default; quoted when it fails to start), or to this process's stderr. */
  readonly stderr?: 'collect' | 'inherit';
  readonly timeoutMs?: number;
  /** The executable to run, when not brokerMainPath(). */
  readonly mainPath?: string;
}

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** 127.0.0.1:port */
  readonly bootstrap: string;
  readonly dataDir: string;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Its JSON log lines so far, parsed. */
  readonly logs: Record<string, unknown>[];
  /** SIGKILL, then wait for the exit (and the removal of a temporary data directory). */
  kill(): Promise<void>;
  /** SIGTERM (a clean shutdown), then wait for the exit (and the removal of a temporary data directory). */
  stop(): Promise<void>;
}

/**
 * Starts `node <the flags of its first line> apps/broker/dist/main.js --port <port> --data-dir <dataDir> ...`,
 * as running the file itself would, with info logs on stdout, and resolves once it logs that it serves (with
 * the port it bound); rejects if it exits first, or kills it and rejects if it takes longer than `timeoutMs`.
 */
export async function startBrokerProcess(options: BrokerProcessOptions = {}): Promise<BrokerProcess> {
  const timeoutMs = options.timeoutMs ?? BROKER_START_TIMEOUT_MS;
  const dataDir = options.dataDir ?? temporaryDirectory('sluice-broker-');
  const sets = Object.entries({ 'metrics.port': '-1', ...options.settings }).flatMap(([key, value]) => [
    '--set',
    `${key}=${value}`,
  ]);
  const mainPath = options.mainPath ?? brokerMainPath();
  const child = spawn(
    process.execPath,
    [
      ...nodeFlagsOf(mainPath),
      mainPath,
      '--port',
      String(options.port ?? 0),
      '--data-dir',
      dataDir,
      ...sets,
      ...(options.args ?? []),
    ],
    {
      stdio: ['ignore', 'pipe', options.stderr === 'inherit' ? 'inherit' : 'pipe'],
      env: { ...process.env, SLUICE_LOG_LEVEL: 'info' },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // A temporary data directory goes with the broker.
  const gone = options.dataDir === undefined ? exited.then(() => removeDirectory(dataDir)) : exited;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker did not start in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not a log line
      }
      logs.push(entry);
      if (entry.msg === STARTED_MESSAGE) {
        clearTimeout(timer);
        resolve(entry.port as number);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before starting: ${stderr}`));
    });
  });
  const signalAndWait = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await gone;
  };
  return {
    child,
    port,
    bootstrap: `127.0.0.1:${port}`,
    dataDir,
    exited,
    logs,
    kill: () => signalAndWait('SIGKILL'),
    stop: () => signalAndWait('SIGTERM'),
  };
}
