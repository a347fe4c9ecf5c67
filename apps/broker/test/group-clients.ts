import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { decodeGroupRecord, type OffsetCommitValue } from '@sluice/coordination';
import { kcat } from './helpers.js';
import { KCAT_FORMAT, parseKcatRecords } from './kcat-format.js';

/** Test helpers for consumer groups: group members as real processes, and what the offsets topic holds. */

export interface ConsumedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
  /** When the test process read the line (Date.now()). */
  readonly receivedAtMs: number;
}

/** Polls `condition` every 50 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A consumer-group member as a process whose stdout prints one JSON or text line per record. */
abstract class MemberProcess {
  readonly records: ConsumedRecord[] = [];
  /** Every assignment the member announced (rebalance callback), with when the test read it. */
  readonly assignments: { partitions: number[]; receivedAtMs: number }[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  protected readonly child: ChildProcess;

  protected constructor(command: string, args: string[], env?: NodeJS.ProcessEnv) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      this.onStderr(line);
    });
  }

  protected abstract onLine(line: string): void;

  protected onStderr(_line: string): void {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGKILL: the member vanishes without leaving or committing; SIGTERM: it closes cleanly. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }

  /** Offsets of `partition` this member processed, in order. */
  offsetsOf(partition: number): number[] {
    return this.records.filter((record) => record.partition === partition).map((record) => record.offset);
  }
}

export interface KcatMemberOptions {
  readonly bootstrap: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** librdkafka properties (`-X key=value`). */
  readonly properties?: Readonly<Record<string, string>>;
}

/**
 * `kcat -G`: a librdkafka balanced consumer. It prints `partition offset value` per record, and on stderr a
 * line for every rebalance (`... rebalanced (memberid X): assigned: t [0], t [3]`), from which `assignment`
 * keeps the partitions it holds now.
 */
export class KcatMember extends MemberProcess {
  /** Partitions held, from the last "assigned" line (empty after "revoked"). */
  assignment: number[] = [];
  memberId = '';

  constructor(readonly options: KcatMemberOptions) {
    const properties = {
      'auto.offset.reset': 'earliest',
      'session.timeout.ms': '3000',
      'heartbeat.interval.ms': '300',
      'enable.auto.commit': 'true',
      'auto.commit.interval.ms': '200',
      'topic.metadata.refresh.interval.ms': '1000',
      ...options.properties,
    };
    super('kcat', [
      '-b',
      options.bootstrap,
      '-G',
      options.groupId,
      ...options.topics,
      // Survive a broker restart: by default kcat exits once every broker connection is down.
      '-E',
      '-u',
      '-f',
      '%p %o %s\\n',
      ...Object.entries(properties).flatMap(([key, value]) => ['-X', `${key}=${value}`]),
    ]);
  }

  protected onLine(line: string): void {
    const match = /^(\d+) (\d+) (.*)$/.exec(line);
    if (!match) return;
    this.records.push({
      partition: Number(match[1]),
      offset: Number(match[2]),
      value: match[3],
      receivedAtMs: Date.now(),
    });
  }

  protected override onStderr(line: string): void {
    const match = /rebalanced \(memberid ([^)]*)\): (assigned|revoked): (.*)$/.exec(line);
    if (!match) return;
    this.memberId = match[1];
    if (match[2] === 'revoked') {
      this.assignment = [];
      return;
    }
    const partitions = [...match[3].matchAll(/\[(\d+)\]/g)]
      .map((found) => Number(found[1]))
      .sort((a, b) => a - b);
    this.assignment = partitions;
    this.assignments.push({ partitions, receivedAtMs: Date.now() });
  }
}

export interface KafkajsMemberOptions {
  readonly bootstrap: string;
  readonly groupId: string;
  readonly topic: string;
  readonly sessionTimeoutMs?: number;
}

const KAFKAJS_MEMBER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'group-kafkajs-member.ts');

/**
 * A kafkajs consumer (consumer.run with eachMessage) in its own process, so that it can be killed the hard
 * way. Prints `{"partition","offset","value"}` per message and `{"event":...}` for group events.
 */
export class KafkajsMember extends MemberProcess {
  readonly events: Record<string, unknown>[] = [];

  constructor(options: KafkajsMemberOptions) {
    super(process.execPath, ['--import', 'tsx', KAFKAJS_MEMBER_SCRIPT], {
      ...process.env,
      MEMBER_BOOTSTRAP: options.bootstrap,
      MEMBER_GROUP: options.groupId,
      MEMBER_TOPIC: options.topic,
      MEMBER_SESSION_TIMEOUT_MS: String(options.sessionTimeoutMs ?? 6000),
    });
  }

  protected onLine(line: string): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof parsed.event === 'string') {
      this.events.push(parsed);
      if (parsed.event === 'group.join') {
        const partitions = [...((parsed.partitions as number[]) ?? [])].sort((a, b) => a - b);
        this.assignments.push({ partitions, receivedAtMs: Date.now() });
      }
      return;
    }
    this.records.push({
      partition: parsed.partition as number,
      offset: Number(parsed.offset),
      value: parsed.value as string,
      receivedAtMs: Date.now(),
    });
  }

  /** Partitions of the last GROUP_JOIN event. */
  get assignment(): number[] {
    return this.assignments.at(-1)?.partitions ?? [];
  }
}

export interface StoredCommit {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  /** null: a tombstone. */
  readonly value: OffsetCommitValue | null;
  /** Append time of the record (the broker's clock, ms since the epoch). */
  readonly timestampMs: number;
}

/** Every offset commit record of `groupId` in __consumer_offsets, in log order per partition. */
export async function readOffsetCommits(bootstrap: string, groupId: string): Promise<StoredCommit[]> {
  const metadata = JSON.parse(
    (await kcat(bootstrap, ['-L', '-J', '-t', '__consumer_offsets'])).toString(),
  ) as { topics: { partitions: unknown[] }[] };
  const commits: StoredCommit[] = [];
  for (let partition = 0; partition < metadata.topics[0].partitions.length; partition++) {
    const output = await kcat(bootstrap, [
      '-C',
      '-t',
      '__consumer_offsets',
      '-p',
      String(partition),
      '-o',
      'beginning',
      '-e',
      '-f',
      KCAT_FORMAT,
    ]);
    for (const record of parseKcatRecords(output)) {
      if (!record.key) continue;
      const decoded = decodeGroupRecord(record.key, record.value);
      if (decoded.type !== 'offset-commit' || decoded.groupId !== groupId) continue;
      commits.push({
        groupId,
        topic: decoded.topic,
        partition: decoded.partition,
        value: decoded.value,
        timestampMs: record.timestamp,
      });
    }
  }
  return commits;
}

/** Produces `count` records to each partition of `topic` with kcat: `p<partition>-<index>`. */
export async function produceToPartitions(
  bootstrap: string,
  topic: string,
  partitions: number,
  count: number,
  prefix = '',
): Promise<void> {
  for (let partition = 0; partition < partitions; partition++) {
    const lines = Array.from({ length: count }, (_, i) => `${prefix}p${partition}-${i}`);
    await kcat(bootstrap, ['-P', '-t', topic, '-p', String(partition)], `${lines.join('\n')}\n`);
  }
}

/**
 * Where a member started reading a partition below an offset the group had committed before the partition
 * was assigned to it: "nothing before a committed offset is processed again". For each assignment a member
 * announced, the first record it then read from each partition is compared with the highest offset committed
 * for that partition before the announcement. Returns one line per violation.
 */
export function readsBelowCommittedOffsets(
  members: readonly MemberProcess[],
  commits: readonly StoredCommit[],
  topic: string,
): string[] {
  // The announcement is read slightly after the member made it; a commit in between is the old owner's.
  const slackMs = 50;
  const violations: string[] = [];
  for (const [index, member] of members.entries()) {
    for (const { partitions, receivedAtMs } of member.assignments) {
      for (const partition of partitions) {
        const first = member.records.find(
          (record) => record.partition === partition && record.receivedAtMs >= receivedAtMs,
        );
        if (!first) continue;
        let committed = -1;
        for (const commit of commits) {
          if (commit.topic !== topic || commit.partition !== partition || commit.value === null) continue;
          if (commit.timestampMs < receivedAtMs - slackMs)
            committed = Math.max(committed, Number(commit.value.offset));
        }
        if (first.offset < committed) {
          violations.push(
            `member ${index} started ${topic}-${partition} at ${first.offset}, below the committed offset ${committed}`,
          );
        }
      }
    }
  }
  return violations;
}

/** The (partition, offset) pairs produced that no member processed. */
export function missingRecords(
  members: readonly MemberProcess[],
  endOffsets: readonly number[],
): { partition: number; offset: number }[] {
  const seen = new Set(
    members.flatMap((member) => member.records.map((record) => `${record.partition}:${record.offset}`)),
  );
  const missing: { partition: number; offset: number }[] = [];
  for (const [partition, end] of endOffsets.entries()) {
    for (let offset = 0; offset < end; offset++)
      if (!seen.has(`${partition}:${offset}`)) missing.push({ partition, offset });
  }
  return missing;
}

export type { MemberProcess };
