import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kcatUnavailableReason } from './kcat.js';
import { sharedToolPath } from './repository.js';
import { onPath } from './run-command.js';

/**
 * librdkafka's tools, built from Debian's librdkafka-dev by ../shared/tools/build-librdkafka-tools:
 * `mockbroker` (librdkafka's mock Kafka cluster, an independent broker implementation) and
 * `rdkafka_performance` (librdkafka's load generator). One build serves every test and benchmark of the
 * machine: it lands in LIBRDKAFKA_TOOLS_DIRECTORY.
 */

const execFileAsync = promisify(execFile);

export const LIBRDKAFKA_TOOLS_DIRECTORY = join(tmpdir(), 'sluice-librdkafka-tools');
/** How long building the tools may take (it may install librdkafka-dev first). */
const BUILD_TIMEOUT_MS = 300_000;
const MOCK_HEADER = '/usr/include/librdkafka/rdkafka_mock.h';

export function buildScriptPath(): string {
  return sharedToolPath('build-librdkafka-tools');
}

/** Why the mock cluster (and kcat beside it) cannot run here, or null. */
export function mockClusterUnavailableReason(): string | null {
  if (!existsSync(MOCK_HEADER)) return `librdkafka-dev is not installed (no ${MOCK_HEADER})`;
  if (!onPath('cc')) return 'no C compiler (cc) to build the mock cluster';
  if (!existsSync(buildScriptPath())) return `${buildScriptPath()} is missing`;
  return kcatUnavailableReason();
}

/** Builds the tools once per machine and returns their directory (LIBRDKAFKA_TOOLS_DIRECTORY). */
export async function librdkafkaToolsDirectory(): Promise<string> {
  if (existsSync(join(LIBRDKAFKA_TOOLS_DIRECTORY, 'mockbroker'))) return LIBRDKAFKA_TOOLS_DIRECTORY;
  // Build beside the final directory and rename, so that concurrent test runs never see half a build.
  const building = mkdtempSync(join(tmpdir(), 'sluice-librdkafka-tools-'));
  try {
    await execFileAsync(buildScriptPath(), [building], { timeout: BUILD_TIMEOUT_MS });
    renameSync(building, LIBRDKAFKA_TOOLS_DIRECTORY);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(LIBRDKAFKA_TOOLS_DIRECTORY, 'mockbroker'))) throw error;
  }
  return LIBRDKAFKA_TOOLS_DIRECTORY;
}

/**
 * The path of rdkafka_performance in `toolsDirectory`, built there first when it is missing (for a
 * benchmark: the build's output goes to this process's stdout and stderr).
 */
export function rdkafkaPerformancePath(toolsDirectory = LIBRDKAFKA_TOOLS_DIRECTORY): string {
  const binary = join(toolsDirectory, 'rdkafka_performance');
  if (!existsSync(binary))
    execFileSync(buildScriptPath(), [toolsDirectory], { stdio: ['ignore', 'inherit', 'inherit'] });
  return binary;
}
