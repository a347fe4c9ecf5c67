import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type CommandResult, onPath, runCommand } from '@sluice/test-support';

/** The built CLI (`pnpm --filter @sluice/cli build` first; the test script's turbo task does it). */
export const CLI_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
}

export interface RunOptions {
  readonly input?: string | Buffer;
  readonly env?: Record<string, string | undefined>;
  readonly timeoutMs?: number;
}

function cliEnvironment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: undefined,
    SLUICE_BOOTSTRAP_SERVER: undefined,
    ...extra,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env;
}

/** What a run printed, with stdout both as text and as bytes. */
function cliResult({ code, stdout, stderr }: CommandResult): CliResult {
  return { code, stdout: stdout.toString(), stdoutBytes: stdout, stderr };
}

/** Runs `node dist/main.js ...args` to its end, with `input` on stdin (or an empty stdin). */
export async function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run pnpm --filter @sluice/cli build`);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const result = await runCommand(process.execPath, [CLI_MAIN, ...args], {
    input: options.input ?? '',
    env: cliEnvironment(options.env),
    timeoutMs,
  });
  if (result.timedOut)
    throw new Error(`sluice ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${result.stderr}`);
  return cliResult(result);
}

export interface RunningCli {
  readonly child: ChildProcess;
  /** Everything printed on stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout holds at least `count` lines. */
  waitForLines(count: number, timeoutMs?: number): Promise<string[]>;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/** Starts the CLI and leaves it running (a follower, a group member). */
export function startCli(args: readonly string[], options: RunOptions = {}): RunningCli {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: cliEnvironment(options.env),
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const lines = () => out.split('\n').filter((line, i, all) => i < all.length - 1 || line !== '');
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    waitForLines(count, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (out.split('\n').length - 1 >= count) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(lines());
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`only ${lines().length} of ${count} lines after ${timeoutMs} ms; stderr: ${err}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the CLI in a pseudo-terminal (util-linux `script`), so that stdout is a TTY; returns what it printed. */
export async function runCliOnTerminal(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  const command = [process.execPath, CLI_MAIN, ...args]
    .map((word) => `'${word.replaceAll("'", "'\\''")}'`)
    .join(' ');
  const result = await runCommand('script', ['-qec', command, '/dev/null'], {
    input: '',
    env: cliEnvironment(env),
  });
  return cliResult(result);
}

/** Whether `script` (util-linux) is here to give the CLI a terminal. */
export function terminalUnavailableReason(): string | null {
  return onPath('script') ? null : 'util-linux `script` is not installed';
}
