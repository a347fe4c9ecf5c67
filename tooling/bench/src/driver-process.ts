import { fileURLToPath } from 'node:url';
import { nodeFlagsOf } from '@sluice/test-support';
import type { DriverJob } from './driver.js';
import { startProcess } from './processes.js';
import { brokerMainPath } from './servers/sluice-server.js';

const DRIVER_PATH = fileURLToPath(new URL('./driver.ts', import.meta.url));
/** tooling/bench: drivers run from here, so `--import tsx` resolves this package's tsx. */
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
/**
 * Node flags of every driver process, whichever system it drives: those of the Sluice broker's executable,
 * a floor under V8's old generation (apps/broker/README.md, "Node flags"). Without it a client process
 * moving 50 MB/s also runs a full mark-compact about every 100 ms, and a latency run measures V8's
 * heuristics more than the system under test. Read when a driver starts (the broker is built by then).
 */
function driverNodeFlags(): string[] {
  return nodeFlagsOf(brokerMainPath());
}

export interface DriverProcessOptions {
  /** Called when the driver prints `{"ready": ...}`. */
  readonly onReady?: (message: { ready: true; port?: number }) => void;
  /**
   * Write V8 CPU profiles of the driver into this directory: one per thread (tsx's module loader runs on
   * a thread of its own); `mainThreadProfile` picks the main thread's.
   */
  readonly cpuProfileDir?: string;
}

export interface DriverHandle<T> {
  readonly result: Promise<T>;
  stop(): Promise<void>;
}

/** Runs one job in a fresh `node <the broker's Node flags> --import tsx src/driver.ts` process. */
export function startDriver<T>(job: DriverJob, options: DriverProcessOptions = {}): DriverHandle<T> {
  const profile = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
  let outcome: { result?: T; error?: string } | undefined;
  const child = startProcess(
    `driver ${job.kind}`,
    process.execPath,
    [...driverNodeFlags(), ...profile, '--import', 'tsx', DRIVER_PATH, JSON.stringify(job)],
    {
      env: { ...process.env, SLUICE_LOG_LEVEL: 'error' },
      cwd: PACKAGE_DIR,
      onLine(line) {
        if (!line.startsWith('{')) return;
        try {
          const message = JSON.parse(line) as { ready?: true; port?: number; result?: T; error?: string };
          if (message.ready) options.onReady?.({ ready: true, port: message.port });
          else if ('result' in message || 'error' in message) outcome = message;
        } catch {
          // Not one of the driver's lines.
        }
      },
    },
  );
  const result = Promise.all([child.exited, child.closed]).then(([code]) => {
    if (outcome?.error) throw new Error(`${job.kind} driver failed: ${outcome.error}`);
    if (!outcome || !('result' in outcome))
      throw new Error(`${job.kind} driver exited with ${code}:\n${child.recentOutput.slice(-30).join('\n')}`);
    return outcome.result as T;
  });
  return { result, stop: () => child.stop() };
}

export function runDriver<T>(job: DriverJob, options: DriverProcessOptions = {}): Promise<T> {
  return startDriver<T>(job, options).result;
}
