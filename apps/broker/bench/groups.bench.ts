/**
 * Consumer-group benchmark against a broker process:
 *
 * 1. Rebalance time with 1, 10 and 50 members: members are raw protocol clients (JoinGroup v5, SyncGroup v3,
 *    Heartbeat v3, not the bottleneck) that heartbeat every --heartbeat-ms and rejoin as soon as a heartbeat
 *    says REBALANCE_IN_PROGRESS. One member rejoins with new metadata; the figure is the time from its
 *    JoinGroup until every member has its assignment in the new generation. Baseline in the same run: one
 *    Heartbeat round trip.
 * 2. Group throughput with 1, 3 and 6 `kcat -G` members on a 6-partition topic of --records 100-byte
 *    records: from the first assignment until every record has been printed. Baseline in the same run: one
 *    plain `kcat -C` (no group) reading the same topic.
 *
 *   npx tsx apps/broker/bench/groups.bench.ts [--records 300000 --rounds 3 --rebalances 5 --heartbeat-ms 20 --seed 7]
 *
 * Prints medians of --rounds rounds (min and max beside), the machine, and the command that reruns it.
 * Requires a built broker (pnpm --filter @sluice/broker build) and kcat.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeAssignment, encodeAssignment, encodeSubscription } from '@sluice/coordination';
import { Apis, ErrorCode, type JoinGroupResponse } from '@sluice/protocol';
import { RawClient } from '../test/raw-client.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '300000' },
    rounds: { type: 'string', default: '3' },
    rebalances: { type: 'string', default: '5' },
    'heartbeat-ms': { type: 'string', default: '20' },
    seed: { type: 'string', default: '7' },
  },
});
const RECORDS = Number(values.records);
const ROUNDS = Number(values.rounds);
const REBALANCES = Number(values.rebalances);
const HEARTBEAT_MS = Number(values['heartbeat-ms']);
const SEED = Number(values.seed);
const RECORD_BYTES = 100;
const PARTITIONS = 6;
const MEMBER_COUNTS = [1, 10, 50];
const KCAT_MEMBER_COUNTS = [1, 3, 6];

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function summary(samples: number[], unit: string, digits = 1): string {
  const format = (value: number) =>
    value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${format(median(samples))} ${unit} (min ${format(Math.min(...samples))}, max ${format(Math.max(...samples))})`;
}

/** mulberry32, for the record payloads. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- broker ----

interface BrokerProcess {
  child: ChildProcess;
  bootstrap: string;
  port: number;
  dataDir: string;
}

async function startBroker(): Promise<BrokerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-groups-bench-'));
  const child = spawn(
    process.execPath,
    [
      join(here, '../dist/main.js'),
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--set',
      'metrics.port=-1',
      '--set',
      `num.partitions=${PARTITIONS}`,
      '--set',
      'group.min.session.timeout.ms=1000',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SLUICE_LOG_LEVEL: 'info' } },
  );
  const port = await new Promise<number>((resolvePort, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'Sluice broker started') resolvePort(entry.port);
      } catch {
        // not a log line
      }
    });
    child.on('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return { child, bootstrap: `127.0.0.1:${port}`, port, dataDir };
}

async function stopBroker(broker: BrokerProcess): Promise<void> {
  const exited = new Promise((resolveExit) => broker.child.on('exit', resolveExit));
  broker.child.kill('SIGTERM');
  await exited;
  rmSync(broker.dataDir, { recursive: true, force: true });
}

function run(
  command: string,
  args: string[],
  input?: string,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stderr }));
    child.stdin.end(input);
  });
}

// ---- rebalance time ----

/**
 * A group member on its own connection, as a consumer behaves: joins (through MEMBER_ID_REQUIRED), syncs
 * (the leader assigns partitions round-robin), heartbeats every HEARTBEAT_MS, and rejoins at once when told.
 */
class BenchMember {
  memberId = '';
  generationId = -1;
  synced = false;
  /** When the last trigger's JoinGroup was sent. */
  triggeredAtMs = 0;
  private running = true;
  private userData = 0;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly client: RawClient,
    private readonly groupId: string,
    private readonly topic: string,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  private joinRequest() {
    return {
      groupId: this.groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: this.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [
        { name: 'range', metadata: encodeSubscription([this.topic], Buffer.from(String(this.userData))) },
      ],
    };
  }

  /** JoinGroup then SyncGroup, repeated until both succeed. */
  async joinAndSync(changeMetadata = false): Promise<void> {
    if (changeMetadata) this.userData++;
    this.synced = false;
    for (;;) {
      const joined: JoinGroupResponse = await this.client.request(Apis.JoinGroup, 5, this.joinRequest());
      if (joined.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = joined.memberId;
        continue;
      }
      if (joined.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
      if (joined.errorCode !== ErrorCode.NONE) continue;
      this.memberId = joined.memberId;
      const assignments = joined.members.map((member, index) => ({
        memberId: member.memberId,
        assignment: encodeAssignment([
          {
            topic: this.topic,
            partitions: [...Array(PARTITIONS * 10).keys()].filter((p) => p % joined.members.length === index),
          },
        ]),
      }));
      const synced = await this.client.request(Apis.SyncGroup, 3, {
        groupId: this.groupId,
        generationId: joined.generationId,
        memberId: joined.memberId,
        groupInstanceId: null,
        assignments,
      });
      if (synced.errorCode !== ErrorCode.NONE) continue;
      // What a consumer does with its assignment before it fetches.
      decodeAssignment(synced.assignment);
      this.generationId = joined.generationId;
      this.synced = true;
      return;
    }
  }

  private async run(): Promise<void> {
    await this.joinAndSync();
    while (this.running) {
      await sleep(HEARTBEAT_MS);
      if (!this.running) return;
      const { errorCode } = await this.client.request(Apis.Heartbeat, 3, {
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: null,
      });
      if (errorCode !== ErrorCode.NONE) await this.joinAndSync();
    }
  }

  /** Rejoins with new metadata, which makes the coordinator rebalance the group. */
  async trigger(): Promise<void> {
    this.running = false;
    await this.loop;
    this.triggeredAtMs = performance.now();
    await this.joinAndSync(true);
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await sleep(HEARTBEAT_MS);
        if (!this.running) return;
        const { errorCode } = await this.client.request(Apis.Heartbeat, 3, {
          groupId: this.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId: null,
        });
        if (errorCode !== ErrorCode.NONE) await this.joinAndSync();
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.client.request(Apis.LeaveGroup, 1, { groupId: this.groupId, memberId: this.memberId });
    this.client.close();
  }
}

/** A raw client with Nagle off: a request goes out in several writes, which Nagle would hold back. */
async function connect(broker: BrokerProcess): Promise<RawClient> {
  const client = await RawClient.connect(broker.port);
  client.socket.setNoDelay(true);
  return client;
}

async function waitUntil(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(1);
  }
}

/** Rebalance times (ms) of one group of `size` members, REBALANCES times. */
async function rebalanceRound(broker: BrokerProcess, size: number, round: number): Promise<number[]> {
  const groupId = `rebalance-${size}-${round}`;
  const members: BenchMember[] = [];
  for (let i = 0; i < size; i++) members.push(new BenchMember(await connect(broker), groupId, 'bench'));
  for (const member of members) member.start();
  const settled = () => {
    const generation = members[0].generationId;
    return members.every((member) => member.synced && member.generationId === generation && generation > 0);
  };
  // The initial rebalance delay lets everyone into the first generation.
  await waitUntil(settled);
  await sleep(200);
  await waitUntil(settled);
  const times: number[] = [];
  for (let i = 0; i < REBALANCES; i++) {
    const before = members[0].generationId;
    const triggered = members[0].trigger();
    await waitUntil(
      () => members.every((member) => member.synced && member.generationId > before) && settled(),
    );
    times.push(performance.now() - members[0].triggeredAtMs);
    await triggered;
    await sleep(50);
  }
  await Promise.all(members.map((member) => member.stop()));
  return times;
}

async function heartbeatRoundTripMs(broker: BrokerProcess): Promise<number> {
  const client = await connect(broker);
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) {
    const started = performance.now();
    await client.request(Apis.Heartbeat, 3, {
      groupId: 'nobody',
      generationId: 1,
      memberId: 'x',
      groupInstanceId: null,
    });
    samples.push(performance.now() - started);
  }
  client.close();
  return median(samples);
}

// ---- group throughput ----

async function produceTopic(broker: BrokerProcess, topic: string): Promise<void> {
  const next = random(SEED);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const perPartition = Math.ceil(RECORDS / PARTITIONS);
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const count = Math.min(perPartition, RECORDS - partition * perPartition);
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      let line = '';
      for (let j = 0; j < RECORD_BYTES; j++) line += alphabet[Math.floor(next() * alphabet.length)];
      lines.push(line);
    }
    const result = await run(
      'kcat',
      ['-b', broker.bootstrap, '-P', '-t', topic, '-p', String(partition), '-X', 'linger.ms=20'],
      `${lines.join('\n')}\n`,
    );
    if (result.code !== 0) throw new Error(`kcat -P failed: ${result.stderr}`);
  }
}

/** Spawns kcat printing one byte per record and counts them. */
function countingKcat(
  args: string[],
  onRecords: (count: number) => void,
  onAssigned?: () => void,
): ChildProcess {
  const child = spawn('kcat', [...args, '-u', '-f', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => onRecords(chunk.length));
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (line.includes('assigned:')) onAssigned?.();
  });
  return child;
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolveStop) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
          child.on('exit', () => resolveStop());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** Records per second of `members` kcat -G members reading the whole topic, from the first assignment. */
async function groupThroughput(
  broker: BrokerProcess,
  topic: string,
  members: number,
  round: number,
): Promise<number> {
  let consumed = 0;
  let firstAssignedAt = 0;
  const children: ChildProcess[] = [];
  for (let i = 0; i < members; i++) {
    children.push(
      countingKcat(
        [
          '-b',
          broker.bootstrap,
          '-G',
          `throughput-${members}-${round}`,
          topic,
          '-X',
          'auto.offset.reset=earliest',
          '-X',
          'fetch.max.bytes=52428800',
        ],
        (count) => {
          consumed += count;
        },
        () => {
          firstAssignedAt ||= performance.now();
        },
      ),
    );
  }
  await waitUntil(() => consumed >= RECORDS, 600_000);
  const elapsedMs = performance.now() - firstAssignedAt;
  await stopAll(children);
  return RECORDS / (elapsedMs / 1000);
}

/** Records per second of one plain kcat -C (no group) reading every partition. */
async function plainThroughput(broker: BrokerProcess, topic: string): Promise<number> {
  let consumed = 0;
  const started = performance.now();
  const child = countingKcat(
    ['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e'],
    (count) => {
      consumed += count;
    },
  );
  await waitUntil(() => consumed >= RECORDS, 600_000);
  const elapsedMs = performance.now() - started;
  await stopAll([child]);
  return RECORDS / (elapsedMs / 1000);
}

// ---- main ----

async function main(): Promise<void> {
  out('Sluice consumer-group benchmark');
  out(`machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, node ${process.version}`);
  out(
    `rerun: npx tsx apps/broker/bench/groups.bench.ts --records ${RECORDS} --rounds ${ROUNDS} --rebalances ${REBALANCES} --heartbeat-ms ${HEARTBEAT_MS} --seed ${SEED}`,
  );
  out('medians of rounds (min, max); the machine is shared: compare ratios measured in the same run');
  out();

  const broker = await startBroker();
  try {
    out(`rebalance time: one member rejoins with new metadata; members heartbeat every ${HEARTBEAT_MS} ms`);
    const heartbeatMs = await heartbeatRoundTripMs(broker);
    out(`  baseline, one Heartbeat round trip: ${heartbeatMs.toFixed(2)} ms`);
    for (const size of MEMBER_COUNTS) {
      const roundMedians: number[] = [];
      for (let round = 0; round < ROUNDS; round++)
        roundMedians.push(median(await rebalanceRound(broker, size, round)));
      out(
        `  ${String(size).padStart(2)} members: ${summary(roundMedians, 'ms')}  = ${(median(roundMedians) / heartbeatMs).toFixed(0)}x a heartbeat round trip`,
      );
    }
    out();

    const topic = 'group-throughput';
    out(
      `group throughput: ${RECORDS.toLocaleString('en-US')} records of ${RECORD_BYTES} bytes, ${PARTITIONS} partitions`,
    );
    await produceTopic(broker, topic);
    const baseline: number[] = [];
    for (let round = 0; round < ROUNDS; round++) baseline.push(await plainThroughput(broker, topic));
    out(`  baseline, one plain kcat -C: ${summary(baseline, 'records/s', 0)}`);
    for (const members of KCAT_MEMBER_COUNTS) {
      const samples: number[] = [];
      for (let round = 0; round < ROUNDS; round++)
        samples.push(await groupThroughput(broker, topic, members, round));
      out(
        `  ${members} kcat -G member${members === 1 ? ' ' : 's'}: ${summary(samples, 'records/s', 0)}  = ${(median(samples) / median(baseline)).toFixed(2)}x the baseline`,
      );
    }
  } finally {
    await stopBroker(broker);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
