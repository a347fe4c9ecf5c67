import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { runCommand } from '@sluice/test-support';

/**
 * The processes this harness started, and nothing else: every server and driver is spawned through here,
 * in its own process group, and stopped by its own id (the group holds only what that process forked).
 */
export interface StartedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Resolves once the process has exited and its output has been read to the end. */
  readonly closed: Promise<void>;
  /** Output lines seen so far (stdout and stderr), the last `OUTPUT_LINES_KEPT` of them. */
  readonly recentOutput: string[];
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_LINES_KEPT = 200;
const STOP_GRACE_MS = 15_000;
const started = new Set<StartedProcess>();

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Called for each line the process prints on stdout. */
  readonly onLine?: (line: string) => void;
  /** Give the process a stdin pipe (child.stdin) instead of /dev/null. */
  readonly stdinPipe?: boolean;
}

export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): StartedProcess {
  const child = spawn(command, args, {
    stdio: [options.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
    detached: true,
  });
  const recentOutput: string[] = [];
  const keep = (line: string) => {
    recentOutput.push(line);
    if (recentOutput.length > OUTPUT_LINES_KEPT) recentOutput.shift();
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    keep(line);
    options.onLine?.(line);
  });
  createInterface({ input: child.stderr! }).on('line', keep);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
    child.on('error', (error) => {
      keep(String(error));
      resolve(-1);
    });
  });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  let exitedYet = false;
  void exited.then(() => {
    exitedYet = true;
  });
  const handle: StartedProcess = {
    name,
    child,
    pid,
    exited,
    closed,
    recentOutput,
    async stop(graceMs = STOP_GRACE_MS) {
      if (!exitedYet) {
        signalGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // Whatever the process forked into its group (RabbitMQ's helpers) goes with it.
      signalGroup(pid, 'SIGKILL');
      started.delete(handle);
    },
  };
  started.add(handle);
  return handle;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

const directories = new Set<string>();

/** A scratch directory to remove if the run is interrupted (its owner removes it otherwise). */
export function trackDirectory(path: string): string {
  directories.add(path);
  return path;
}

export function removeTrackedDirectory(path: string): void {
  rmSync(path, { recursive: true, force: true });
  directories.delete(path);
}

/** Stops every process this harness started that is still running (on exit, errors and Ctrl-C). */
export async function stopAllStarted(): Promise<void> {
  await Promise.all([...started].map((handle) => handle.stop(5_000)));
  for (const path of directories) removeTrackedDirectory(path);
}

export interface RunResult {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion (stopped after `timeoutMs`), collecting its output as text; a command that
 * cannot start gives code -1 and the error on stderr.
 */
export async function runProcess(
  command: string,
  args: readonly string[],
  timeoutMs = 600_000,
  env?: NodeJS.ProcessEnv,
): Promise<RunResult> {
  try {
    const result = await runCommand(command, args, { timeoutMs, env });
    return {
      code: result.code ?? result.signal ?? -1,
      stdout: result.stdout.toString(),
      stderr: result.stderr,
    };
  } catch (error) {
    return { code: -1, stdout: '', stderr: String(error) };
  }
}

export async function commandExists(command: string): Promise<boolean> {
  return (await runProcess('sh', ['-c', `command -v ${command}`])).code === 0;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retries `attempt` every 200 ms until it resolves or `timeoutMs` passes (then throws its last error). */
export async function waitUntil<T>(what: string, attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (error) {
      lastError = error;
      await sleep(200);
    }
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms: ${String(lastError)}`);
}
