import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Broker } from '../src/broker.js';
import { resolveBrokerConfig } from '../src/config/broker-config.js';

export const BROKER_MAIN = join(dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

export function temporaryDirectory(prefix = 'sluice-broker-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDirectory(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** Starts a broker in this process on an ephemeral port. */
export async function startBroker(dataDir: string, settings: Record<string, string> = {}): Promise<Broker> {
  const config = resolveBrokerConfig(
    new Map(
      Object.entries({
        listeners: 'PLAINTEXT://127.0.0.1:0',
        'log.dirs': dataDir,
        'metrics.port': '0',
        ...settings,
      }),
    ),
  );
  return Broker.start(config, pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' }));
}

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly bootstrap: string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  readonly logs: Record<string, unknown>[];
}

/** Starts `node dist/main.js` as a child process (for restarts, signals and kill -9); waits until it serves. */
export async function startBrokerProcess(args: string[], timeoutMs = 30_000): Promise<BrokerProcess> {
  const child = spawn(process.execPath, [BROKER_MAIN, '--port', '0', '--set', 'metrics.port=0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLUICE_LOG_LEVEL: 'info' },
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`broker did not start in ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'Sluice broker started') {
          clearTimeout(timer);
          resolve(entry.port as number);
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before starting: ${stderr}`));
    });
  });
  return { child, port, bootstrap: `127.0.0.1:${port}`, exited, logs };
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs a command to completion, feeding `input` to its stdin. */
export function run(
  command: string,
  args: string[],
  input?: string | Buffer,
  timeoutMs = 60_000,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
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
      resolve({ code, stdout: Buffer.concat(stdout), stderr });
    });
    child.stdin.end(input);
  });
}

/** kcat against `bootstrap`, failing on a non-zero exit. */
export async function kcat(bootstrap: string, args: string[], input?: string | Buffer): Promise<Buffer> {
  const result = await run('kcat', ['-b', bootstrap, '-X', 'api.version.request=true', ...args], input);
  if (result.code !== 0)
    throw new Error(`kcat ${args.join(' ')} exited with ${result.code}: ${result.stderr}`);
  return result.stdout;
}
