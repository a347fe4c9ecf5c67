import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * librdkafka for the client packages' tests: kcat, and librdkafka's mock Kafka cluster (an independent broker
 * implementation), built on first use by ../shared/tools/build-librdkafka-tools into a temp directory.
 */

const execFileAsync = promisify(execFile);

function repositoryRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'pnpm-workspace.yaml'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error('no pnpm-workspace.yaml above the test helpers');
    directory = parent;
  }
  return directory;
}

const BUILD_SCRIPT = resolve(repositoryRoot(), '../shared/tools/build-librdkafka-tools');
const TOOLS_DIRECTORY = join(tmpdir(), 'sluice-librdkafka-tools');

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((directory) => existsSync(join(directory, command)));
}

/** Why kcat cannot run here, or null. */
export function kcatUnavailableReason(): string | null {
  return onPath('kcat') ? null : 'kcat is not installed';
}

/** Why the mock cluster cannot run here, or null. */
export function mockClusterUnavailableReason(): string | null {
  if (!existsSync('/usr/include/librdkafka/rdkafka_mock.h')) return 'librdkafka-dev is not installed';
  if (!onPath('cc')) return 'no C compiler (cc) to build the mock cluster';
  if (!existsSync(BUILD_SCRIPT)) return `${BUILD_SCRIPT} is missing`;
  return kcatUnavailableReason();
}

/** Builds (once per machine) and returns the directory holding mockbroker and rdkafka_performance. */
export async function librdkafkaToolsDirectory(): Promise<string> {
  if (existsSync(join(TOOLS_DIRECTORY, 'mockbroker'))) return TOOLS_DIRECTORY;
  const building = mkdtempSync(join(tmpdir(), 'sluice-librdkafka-tools-'));
  try {
    await execFileAsync(BUILD_SCRIPT, [building], { timeout: 300_000 });
    renameSync(building, TOOLS_DIRECTORY);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(TOOLS_DIRECTORY, 'mockbroker'))) throw error;
  }
  return TOOLS_DIRECTORY;
}

export interface MockCluster {
  /** Comma-separated host:port of its 3 brokers. */
  readonly bootstrap: string;
  stop(): Promise<void>;
}

/**
 * librdkafka's mock cluster: 3 brokers, topic "t" with 3 partitions, alive for `seconds`. `apiVersions`
 * widens advertised ranges as `apikey:min:max` (by default it offers Metadata only up to v2).
 */
export async function startMockCluster(seconds: number, apiVersions: string[] = []): Promise<MockCluster> {
  const binary = join(await librdkafkaToolsDirectory(), 'mockbroker');
  const child: ChildProcess = spawn(binary, [String(seconds), ...apiVersions], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const bootstrap = await new Promise<string>((resolveLine, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolveLine(line.trim()));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`mock cluster exited with ${code}: ${stderr}`)));
  });
  return {
    bootstrap,
    stop: () =>
      new Promise<void>((resolveStop) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
        child.once('exit', () => resolveStop());
        child.kill('SIGTERM');
      }),
  };
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs a command to completion, feeding `input` to its stdin; never rejects for a non-zero exit. */
export function runCommand(
  command: string,
  args: string[],
  input?: string | Buffer,
  timeoutMs = 60_000,
): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out after ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout: Buffer.concat(stdout), stderr });
    });
    child.stdin.end(input);
  });
}

/** kcat against `bootstrap`; rejects on a non-zero exit, with its stderr. */
export async function kcat(bootstrap: string, args: string[], input?: string | Buffer): Promise<Buffer> {
  const result = await runCommand('kcat', ['-b', bootstrap, ...args], input);
  if (result.code !== 0)
    throw new Error(`kcat ${args.join(' ')} exited with ${result.code}: ${result.stderr}`);
  return result.stdout;
}
