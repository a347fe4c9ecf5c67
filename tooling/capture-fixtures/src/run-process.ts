import { spawn } from 'node:child_process';
import { CaptureLimits } from './capture-limits.js';

export interface ProcessResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command with `input` on its standard input and waits for it to exit. After `timeoutMs` it is sent
 * SIGTERM, then SIGKILL if it still runs; the result says so through `signal`.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  input: string,
  timeoutMs: number,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let killTimer: NodeJS.Timeout | undefined;
    const stopTimer = setTimeout(() => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), CaptureLimits.killGraceMs);
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(stopTimer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(stopTimer);
      clearTimeout(killTimer);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
