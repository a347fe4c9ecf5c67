import { type ChildProcess, spawn } from 'node:child_process';

/**
 * A consumer group member that is not Sluice's own code: kcat's balanced consumer (`kcat -G`, librdkafka),
 * reading from the earliest offset and committing every 100 ms. It prints each record's value on a line.
 */
export interface GroupMember {
  readonly child: ChildProcess;
  /** Values read so far. */
  values(): string[];
  /** Resolves once `count` values have been read. */
  waitForValues(count: number, timeoutMs?: number): Promise<string[]>;
  /** SIGTERM: kcat commits, leaves the group and exits. */
  stop(): Promise<void>;
}

export function startGroupMember(
  bootstrap: string,
  group: string,
  topics: readonly string[],
  clientId = 'kcat-member',
): GroupMember {
  const child = spawn(
    'kcat',
    [
      '-b',
      bootstrap,
      '-X',
      `client.id=${clientId}`,
      '-X',
      'auto.offset.reset=earliest',
      '-X',
      'auto.commit.interval.ms=100',
      '-X',
      'session.timeout.ms=6000',
      '-q',
      '-u',
      '-f',
      '%s\n',
      '-G',
      group,
      ...topics,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const values = () => stdout.split('\n').slice(0, -1);
  return {
    child,
    values,
    waitForValues(count, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (values().length >= count) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(values());
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `kcat -G read ${values().length} of ${count} records in ${timeoutMs} ms; stderr: ${stderr}`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Polls `check` every 100 ms until it returns true, or fails after timeoutMs. */
export async function eventually(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadlineMs = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadlineMs) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
