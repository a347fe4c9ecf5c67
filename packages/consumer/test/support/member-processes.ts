import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { MemberConfig, MemberEvent } from './group-member-process.js';

const SCRIPT = fileURLToPath(new URL('./group-member-process.ts', import.meta.url));
/** tsx as a loader in the child itself (its CLI would put a second process in between, which a SIGKILL misses). */
export const TSX_LOADER = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** A group member running in a child process (see group-member-process.ts). */
export class MemberProcess {
  readonly events: MemberEvent[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private stderr = '';
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    config: MemberConfig,
  ) {
    this.child = spawn(process.execPath, ['--import', TSX_LOADER, SCRIPT], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SLUICE_MEMBER: JSON.stringify(config) },
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as MemberEvent);
      } catch {
        return;
      }
      for (const listener of [...this.listeners]) listener();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Output on stderr so far (the member's logs at SLUICE_TEST_LOG_LEVEL), for failure messages. */
  get log(): string {
    return this.stderr;
  }

  /** Resolves once an event satisfies `predicate`; rejects after `timeoutMs` or if the process exits first. */
  waitFor(
    predicate: (event: MemberEvent) => boolean,
    timeoutMs = 60_000,
    what = 'an event',
  ): Promise<MemberEvent> {
    const found = this.events.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(
          new Error(`${this.name}: no ${what} within ${timeoutMs} ms; stderr: ${this.stderr.slice(-3000)}`),
        );
      }, timeoutMs);
      const check = () => {
        const event = this.events.find(predicate);
        if (event === undefined) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(event);
      };
      this.listeners.add(check);
      void this.exited.then((code) => {
        if (!this.listeners.has(check)) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        reject(
          new Error(`${this.name} exited (${code}) before ${what}; stderr: ${this.stderr.slice(-3000)}`),
        );
      });
    });
  }

  /** The partitions this member holds according to its listener events. */
  owned(): string[] {
    const owned = new Set<string>();
    for (const event of this.events) {
      if (event.event === 'assigned')
        for (const p of event.partitions) owned.add(`${p.topic}-${p.partition}`);
      if (event.event === 'revoked' || event.event === 'lost') {
        for (const p of event.partitions) owned.delete(`${p.topic}-${p.partition}`);
      }
    }
    return [...owned].sort();
  }

  /** SIGKILL: no commit, no LeaveGroup; the coordinator notices after the session timeout. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: the member closes cleanly (revokes, commits, leaves the group). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
