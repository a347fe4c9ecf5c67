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
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { decodeAssignment, encodeAssignment, encodeSubscription } from '@sluice/coordination';
import { Apis, ErrorCode, type JoinGroupResponse } from '@sluice/protocol';
import {
  type BrokerProcess,
  formatSummary,
  machineLine,
  median,
  runCommand,
  seededRandom,
  startBrokerProcess,
} from '@sluice/test-support';
import { RawClient } from '../test/raw-client.js';

const USAGE = `Usage: npx tsx apps/broker/bench/groups.bench.ts [--records N] [--rounds N] [--rebalances N]
                                                 [--heartbeat-ms MS] [--seed N]
Defaults: --records 300000 --rounds 3 --rebalances 5 --heartbeat-ms 20 --seed 7`;
const argv = process.argv.slice(2);
const { values } = parseArgs({
  // A runner that passes a `--` on before the flags (pnpm 10 does): skip it.
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    records: { type: 'string', default: '300000' },
    rounds: { type: 'string', default: '3' },
    rebalances: { type: 'string', default: '5' },
    'heartbeat-ms': { type: 'string', default: '20' },
    seed: { type: 'string', default: '7' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- broker ----

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
    await this.heartbeat();
  }

  /** Heartbeats every HEARTBEAT_MS while running, and joins again when a heartbeat says to. */
  private async heartbeat(): Promise<void> {
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
    this.loop = this.heartbeat();
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
  const next = seededRandom(SEED);
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
    const result = await runCommand(
      'kcat',
      ['-b', broker.bootstrap, '-P', '-t', topic, '-p', String(partition), '-X', 'linger.ms=20'],
      { input: `${lines.join('\n')}\n`, timeoutMs: 600_000 },
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
  out(`machine: ${machineLine()}`);
  out(
    `rerun: npx tsx apps/broker/bench/groups.bench.ts --records ${RECORDS} --rounds ${ROUNDS} --rebalances ${REBALANCES} --heartbeat-ms ${HEARTBEAT_MS} --seed ${SEED}`,
  );
  out('medians of rounds (min, max); the machine is shared: compare ratios measured in the same run');
  out();

  const broker = await startBrokerProcess({
    settings: { 'num.partitions': String(PARTITIONS), 'group.min.session.timeout.ms': '1000' },
    stderr: 'inherit',
  });
  try {
    out(`rebalance time: one member rejoins with new metadata; members heartbeat every ${HEARTBEAT_MS} ms`);
    const heartbeatMs = await heartbeatRoundTripMs(broker);
    out(`  baseline, one Heartbeat round trip: ${heartbeatMs.toFixed(2)} ms`);
    for (const size of MEMBER_COUNTS) {
      const roundMedians: number[] = [];
      for (let round = 0; round < ROUNDS; round++)
        roundMedians.push(median(await rebalanceRound(broker, size, round)));
      out(
        `  ${String(size).padStart(2)} members: ${formatSummary(roundMedians, 'ms', 1)}  = ${(median(roundMedians) / heartbeatMs).toFixed(0)}x a heartbeat round trip`,
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
    out(`  baseline, one plain kcat -C: ${formatSummary(baseline, 'records/s', 0)}`);
    for (const members of KCAT_MEMBER_COUNTS) {
      const samples: number[] = [];
      for (let round = 0; round < ROUNDS; round++)
        samples.push(await groupThroughput(broker, topic, members, round));
      out(
        `  ${members} kcat -G member${members === 1 ? ' ' : 's'}: ${formatSummary(samples, 'records/s', 0)}  = ${(median(samples) / median(baseline)).toFixed(2)}x the baseline`,
      );
    }
  } finally {
    await broker.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
