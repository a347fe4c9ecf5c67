import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { librdkafkaToolsDirectory } from './librdkafka-tools.js';

export interface MockCluster {
  /** Comma-separated host:port of its 3 brokers. */
  readonly bootstrap: string;
  stop(): Promise<void>;
}

/**
 * librdkafka's mock cluster: 3 brokers, topic "t" with 3 partitions, alive for at most `seconds`.
 * `apiVersions` widens advertised ranges as `apikey:min:max` (librdkafka 2.0.2's mock offers Metadata only
 * up to v2 by default). Builds the tools on first use (see librdkafkaToolsDirectory).
 */
export async function startMockCluster(
  seconds: number,
  apiVersions: readonly string[] = [],
): Promise<MockCluster> {
  const binary = join(await librdkafkaToolsDirectory(), 'mockbroker');
  const child: ChildProcess = spawn(binary, [String(seconds), ...apiVersions], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const bootstrap = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(line.trim()));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`mock cluster exited with ${code}: ${stderr}`)));
  });
  return {
    bootstrap,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
