import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * librdkafka's tools for the interop tests: kcat, and the mock Kafka cluster built from Debian's
 * librdkafka-dev by ../shared/tools/build-librdkafka-tools (found relative to the repository root).
 */

const execFileAsync = promisify(execFile);

/** The repository root: the nearest directory above this file holding pnpm-workspace.yaml. */
export function repositoryRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'pnpm-workspace.yaml'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error('no pnpm-workspace.yaml above the interop tests');
    directory = parent;
  }
  return directory;
}

const BUILD_SCRIPT = resolve(repositoryRoot(), '../shared/tools/build-librdkafka-tools');
const TOOLS_DIRECTORY = join(tmpdir(), 'sluice-librdkafka-tools');
const MOCK_HEADER = '/usr/include/librdkafka/rdkafka_mock.h';

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((directory) => existsSync(join(directory, command)));
}

/** Why the librdkafka interop tests cannot run here, or null when they can. */
export function librdkafkaUnavailableReason(): string | null {
  if (!existsSync(MOCK_HEADER)) return `librdkafka-dev is not installed (no ${MOCK_HEADER})`;
  if (!onPath('kcat')) return 'kcat is not installed';
  if (!onPath('cc')) return 'no C compiler (cc) to build the mock cluster';
  if (!existsSync(BUILD_SCRIPT)) return `${BUILD_SCRIPT} is missing`;
  return null;
}

/** Path of the mock cluster binary, built once per machine into a temp directory. */
export async function mockBrokerPath(): Promise<string> {
  const binary = join(TOOLS_DIRECTORY, 'mockbroker');
  if (existsSync(binary)) return binary;
  // Build beside the final directory and rename, so concurrent test runs never see half a build.
  const building = mkdtempSync(join(tmpdir(), 'sluice-librdkafka-tools-'));
  try {
    await execFileAsync(BUILD_SCRIPT, [building], { timeout: 300_000 });
    renameSync(building, TOOLS_DIRECTORY);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(binary)) throw error;
  }
  return binary;
}

export interface MockCluster {
  readonly bootstrap: string;
  stop(): Promise<void>;
}

/**
 * Starts librdkafka's mock cluster (3 brokers, topic "t" with 3 partitions) for at most `seconds`.
 * `apiVersions` overrides advertised ranges, as `apikey:min:max`.
 */
export async function startMockCluster(seconds: number, apiVersions: string[] = []): Promise<MockCluster> {
  const child: ChildProcess = spawn(await mockBrokerPath(), [String(seconds), ...apiVersions], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const bootstrap = await new Promise<string>((resolveLine, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolveLine(line.trim()));
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

export interface KcatResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs kcat with `args`; resolves with its output whatever its exit code. The output is decoded as latin1,
 * one character per byte, so that binary keys and values survive: `Buffer.from(text, 'latin1')` gives the
 * bytes back.
 */
export async function kcat(args: string[], timeoutMs = 60_000): Promise<KcatResult> {
  try {
    const { stdout, stderr } = await execFileAsync('kcat', args, {
      timeout: timeoutMs,
      maxBuffer: 256 * 1024 * 1024,
      encoding: 'latin1',
    });
    return { stdout, stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return { stdout: failed.stdout ?? '', stderr: `${failed.stderr ?? ''}\n${failed.message}` };
  }
}
