import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** How long a command may run when the caller names no timeout. */
export const COMMAND_TIMEOUT_MS = 60_000;
/** How long a command past its timeout has between SIGTERM and SIGKILL. */
export const COMMAND_KILL_GRACE_MS = 5_000;

export interface CommandOptions {
  /** Written to the command's stdin, which is then closed; without it, stdin is /dev/null. */
  readonly input?: string | Buffer;
  /** After this long it gets SIGTERM, and SIGKILL `COMMAND_KILL_GRACE_MS` later. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface CommandResult {
  /** The exit code; null when a signal ended the command. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Whether it was stopped for running past its timeout. */
  readonly timedOut: boolean;
}

/**
 * Runs a command to its end, collecting what it prints. Resolves whatever its exit (the result says how it
 * ended); rejects only when the command cannot be started.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), COMMAND_KILL_GRACE_MS);
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve({ code, signal, stdout: Buffer.concat(stdout), stderr, timedOut });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** How a command that did not succeed ended, for an error message: "timed out", "exited with 3", ... */
export function describeExit(result: CommandResult): string {
  if (result.timedOut) return 'timed out';
  return result.code === null ? `was killed by ${result.signal}` : `exited with ${result.code}`;
}

/** Whether an executable of that name is in a directory of $PATH. */
export function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((directory) => existsSync(join(directory, command)));
}
