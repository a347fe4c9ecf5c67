import type { CommitOffset, Consumer, ConsumerRecord, PartitionOffset, TopicPartition } from '@sluice/client';
import { Arguments } from '../arguments.js';
import { CliError } from '../cli-error.js';
import type { CommandContext, CommandDefinition } from '../command.js';
import { CLI_LIMITS } from '../limits.js';
import { appendRecord, RECORD_FORMATS, type RecordFormat } from '../record-format.js';
import { parseTime } from '../time-spec.js';

/** Where reading starts in each partition. */
type StartSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: number }
  /** This many records before the end. */
  | { kind: 'from-end'; count: number }
  | { kind: 'timestamp'; timestampMs: number };

interface PartitionPlan {
  readonly partition: number;
  readonly start: number;
  /** The end when reading began: with --exit, reading this partition stops there. */
  readonly end: number;
}

export const consumeCommand: CommandDefinition = {
  kind: 'command',
  path: ['consume'],
  summary: 'print records of a topic',
  description: [
    'Reads every partition of the topic (or those given with --partition) from the chosen start and prints',
    'one record per line. By default it follows the topic, printing records as they arrive, until',
    'interrupted (Ctrl-C) or --max-messages; with --exit it stops at the end each partition had when it',
    'started. On stopping it reports the count on stderr.',
    '',
    'With --group, the partitions are shared with the other members of the group and reading starts at the',
    "group's committed offsets (or, where it has none, at the end, or the beginning with --from-beginning);",
    'what is printed is committed. Move a group with `sluice groups reset-offsets`.',
    '',
    'Formats: value (the value bytes as they are), key-value (key, separator, value), json (one object per',
    'line: topic, partition, offset, timestamp, key, value, headers; a key or value that is not UTF-8 is',
    'base64, marked by keyEncoding/valueEncoding).',
  ].join('\n'),
  positionals: [{ name: 'topic', description: 'the topic to read', required: true }],
  options: {
    'from-beginning': {
      type: 'boolean',
      short: 'B',
      description: 'start at the earliest offset (same as --offset earliest)',
    },
    offset: {
      type: 'string',
      short: 'o',
      value: 'WHERE',
      description: 'earliest, latest, an offset N, or -N for the last N records of each partition',
      defaultText: 'latest',
    },
    'from-timestamp': {
      type: 'string',
      short: 't',
      value: 'TIME',
      description:
        'start at the first record at or after TIME (ms since the epoch, 2024-05-01T12:00:00Z, -15m, -2h)',
    },
    partition: {
      type: 'string',
      short: 'p',
      multiple: true,
      value: 'N',
      description: 'read only this partition',
    },
    group: {
      type: 'string',
      short: 'g',
      value: 'GROUP',
      description:
        'read as a member of this consumer group, from its committed offsets, committing what it prints',
    },
    format: {
      type: 'string',
      short: 'F',
      value: 'FORMAT',
      description: `how to print each record: ${RECORD_FORMATS.join(', ')}`,
      defaultText: 'value',
    },
    'key-separator': {
      type: 'string',
      short: 'K',
      value: 'SEP',
      description: 'between key and value in key-value format',
      defaultText: 'a tab',
    },
    'max-messages': { type: 'string', short: 'n', value: 'N', description: 'stop after N records' },
    exit: {
      type: 'boolean',
      short: 'e',
      description: 'stop at the end of the partitions instead of following',
    },
    follow: {
      type: 'boolean',
      short: 'f',
      description: 'keep printing records as they arrive (the default)',
    },
  },
  examples: [
    {
      command: 'sluice consume orders --from-beginning --exit',
      description: 'everything in the topic, then stop',
    },
    { command: 'sluice consume orders', description: 'follow new records until Ctrl-C' },
    {
      command: 'sluice consume orders -p 0 --offset 1200 -n 10',
      description: 'ten records of partition 0 from offset 1200',
    },
    {
      command: 'sluice consume orders --from-timestamp -1h --format json -e',
      description: "the last hour's records as JSON",
    },
    { command: "sluice consume orders -B -e --format key-value -K ' = '", description: 'keys and values' },
    {
      command: 'sluice consume orders --group billing --from-beginning',
      description: 'as a member of the group billing',
    },
  ],
  async run(context, input) {
    const a = new Arguments(this, input);
    const [topic] = a.positionals();
    const start = readStart(a);
    const format = (a.string('format') ?? 'value') as RecordFormat;
    if (!RECORD_FORMATS.includes(format))
      throw a.usage(`--format must be one of ${RECORD_FORMATS.join(', ')}, got "${format}"`);
    const keySeparator = Buffer.from(a.string('key-separator') ?? '\t');
    const maxMessages = a.integer('max-messages', { min: 1 });
    if (a.boolean('exit') && a.boolean('follow')) throw a.usage('give --exit or --follow, not both');
    const exitAtEnd = a.boolean('exit');
    const partitionsWanted = a.list('partition').map((text) => {
      const value = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(value))
        throw a.usage(`--partition must be a partition number, got "${text}"`);
      return value;
    });

    const groupId = a.string('group');
    const printOptions: PrintOptions = {
      format,
      keySeparator,
      maxMessages: maxMessages ?? Number.POSITIVE_INFINITY,
      exitAtEnd,
    };
    let printed: number;
    if (groupId !== undefined) {
      if (groupId === '') throw a.usage('--group needs a group id');
      const conflicting = a.oneOf(['partition', 'offset', 'from-timestamp']);
      if (conflicting !== undefined) {
        throw a.usage(
          `--${conflicting} does not go with --group: the group decides where to start (move it with \`sluice groups reset-offsets\`)`,
        );
      }
      await context.connect();
      await context.admin().describeTopics([topic], { timeoutMs: context.timeoutMs, signal: context.signal });
      const consumer = context.client().consumer<Buffer, Buffer>({
        groupId,
        autoOffsetReset: start.kind === 'earliest' ? 'earliest' : 'latest',
        allowAutoTopicCreation: false,
      });
      printed = await printGroupRecords(context, consumer, topic, printOptions);
    } else {
      await context.connect();
      const plans = await planPartitions(context, topic, partitionsWanted, start);
      const consumer = context.client().consumer<Buffer, Buffer>({ autoOffsetReset: 'earliest' });
      printed = await printRecords(context, consumer, topic, plans, printOptions);
    }
    context.output.note(`Processed a total of ${printed} message${printed === 1 ? '' : 's'}.`);
  },
};

function readStart(a: Arguments): StartSpec {
  const chosen = a.oneOf(['from-beginning', 'offset', 'from-timestamp']);
  if (chosen === 'from-beginning') return { kind: 'earliest' };
  if (chosen === 'from-timestamp') {
    try {
      return { kind: 'timestamp', timestampMs: parseTime(a.string('from-timestamp')!, Date.now()) };
    } catch (error) {
      throw a.usage(`--from-timestamp: ${(error as Error).message}`);
    }
  }
  if (chosen === 'offset') {
    const text = a.string('offset')!.trim();
    if (text === 'earliest' || text === 'beginning') return { kind: 'earliest' };
    if (text === 'latest' || text === 'end') return { kind: 'latest' };
    if (/^\d+$/.test(text)) return { kind: 'offset', offset: Number(text) };
    if (/^-\d+$/.test(text)) return { kind: 'from-end', count: -Number(text) };
    throw a.usage(`--offset must be earliest, latest, an offset N or -N, got "${text}"`);
  }
  return { kind: 'latest' };
}

/** Resolves where each partition starts and ends, so that the consumer is assigned exact offsets. */
async function planPartitions(
  context: CommandContext,
  topic: string,
  partitionsWanted: readonly number[],
  start: StartSpec,
): Promise<PartitionPlan[]> {
  const admin = context.admin();
  const operation = { timeoutMs: context.timeoutMs, signal: context.signal };
  const [description] = await admin.describeTopics([topic], operation);
  const count = description.partitions.length;
  for (const partition of partitionsWanted) {
    if (partition >= count) {
      throw new CliError(`${topic} has no partition ${partition}`, `its partitions are 0 to ${count - 1}`);
    }
  }
  const partitions =
    partitionsWanted.length > 0
      ? [...new Set(partitionsWanted)].sort((x, y) => x - y)
      : description.partitions.map((p) => p.partition);
  const bounds = await admin.listOffsets(
    partitions.flatMap((partition) => [
      { topic, partition, spec: 'earliest' as const },
      { topic, partition, spec: 'latest' as const },
      ...(start.kind === 'timestamp' ? [{ topic, partition, spec: { timestamp: start.timestampMs } }] : []),
    ]),
    operation,
  );
  const perPartition = start.kind === 'timestamp' ? 3 : 2;
  return partitions.map((partition, i) => {
    const earliest = bounds[i * perPartition].offset;
    const end = bounds[i * perPartition + 1].offset;
    const found: PartitionOffset | undefined =
      start.kind === 'timestamp' ? bounds[i * perPartition + 2] : undefined;
    let offset: number;
    switch (start.kind) {
      case 'earliest':
        offset = earliest;
        break;
      case 'latest':
        offset = end;
        break;
      case 'offset':
        offset = start.offset;
        break;
      case 'from-end':
        offset = end - start.count;
        break;
      case 'timestamp':
        offset = found!.offset < 0 ? end : found!.offset;
        break;
    }
    return { partition, start: Math.min(Math.max(offset, earliest), end), end };
  });
}

interface PrintOptions {
  readonly format: RecordFormat;
  readonly keySeparator: Buffer;
  readonly maxMessages: number;
  readonly exitAtEnd: boolean;
}

/** Reads and prints until the limit, the end (with exitAtEnd), or the signal; returns how many records it printed. */
async function printRecords(
  context: CommandContext,
  consumer: Consumer<Buffer, Buffer>,
  topic: string,
  plans: readonly PartitionPlan[],
  options: PrintOptions,
): Promise<number> {
  const endOf = new Map(plans.map((plan) => [plan.partition, plan.end]));
  /** Partitions still to read up to their end (exitAtEnd only). */
  const unfinished = new Set(plans.filter((plan) => plan.start < plan.end).map((plan) => plan.partition));
  if (options.exitAtEnd && unfinished.size === 0) return 0;
  consumer.assign(plans.map((plan) => ({ topic, partition: plan.partition, offset: plan.start })));

  const stop = new AbortController();
  const onAbort = () => stop.abort();
  context.signal.addEventListener('abort', onAbort, { once: true });
  let printed = 0;
  let parts: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (parts.length === 0) return;
    const chunk = Buffer.concat(parts, pendingBytes);
    parts = [];
    pendingBytes = 0;
    await context.output.write(chunk);
  };
  try {
    for await (const batch of consumer.batches({ signal: stop.signal })) {
      const end = endOf.get(batch.partition) ?? Number.POSITIVE_INFINITY;
      for (const record of batch.records as readonly ConsumerRecord<Buffer, Buffer>[]) {
        if (options.exitAtEnd && record.offset >= end) break;
        pendingBytes += appendRecord(parts, record, options.format, options.keySeparator);
        printed++;
        if (pendingBytes >= CLI_LIMITS.CONSUME_OUTPUT_CHUNK_BYTES) await flush();
        if (printed >= options.maxMessages) break;
      }
      const last = batch.records[batch.records.length - 1];
      if (options.exitAtEnd && last !== undefined && last.offset + 1 >= end)
        unfinished.delete(batch.partition);
      // One write per batch (at most maxPollRecords records), so that a follower shows records as they come.
      await flush();
      if (printed >= options.maxMessages || (options.exitAtEnd && unfinished.size === 0)) break;
    }
    await flush();
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    await consumer.close();
  }
  return printed;
}

/** Gathers formatted records and writes them to stdout in chunks. */
class RecordWriter {
  private parts: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly context: CommandContext,
    private readonly options: PrintOptions,
  ) {}

  async add(record: ConsumerRecord<Buffer, Buffer>): Promise<void> {
    this.pendingBytes += appendRecord(this.parts, record, this.options.format, this.options.keySeparator);
    if (this.pendingBytes >= CLI_LIMITS.CONSUME_OUTPUT_CHUNK_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = Buffer.concat(this.parts, this.pendingBytes);
    this.parts = [];
    this.pendingBytes = 0;
    await this.context.output.write(chunk);
  }
}

/**
 * Reads as a member of a consumer group until the limit, the signal, or (with exitAtEnd) until every
 * partition the group gave this member is read up to the end it had when it was assigned. The offsets of
 * what was printed are committed when the consumer closes (and every auto-commit interval before).
 */
async function printGroupRecords(
  context: CommandContext,
  consumer: Consumer<Buffer, Buffer>,
  topic: string,
  options: PrintOptions,
): Promise<number> {
  const admin = context.admin();
  const partitionKey = (partition: TopicPartition) => `${partition.topic}\u0000${partition.partition}`;
  /** The end of each partition when it was assigned to this member (exitAtEnd only). */
  const ends = new Map<string, number>();
  let endsPending: Promise<void> = Promise.resolve();
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  context.signal.addEventListener('abort', onAbort, { once: true });
  const caughtUp = () => {
    const assigned = consumer.assignment();
    return (
      assigned.length > 0 &&
      assigned.every((partition) => {
        const end = ends.get(partitionKey(partition));
        const position = consumer.position(partition);
        return end !== undefined && position !== undefined && position >= end;
      })
    );
  };
  consumer.subscribe([topic], {
    onPartitionsAssigned: (partitions) => {
      if (!options.exitAtEnd || partitions.length === 0) return;
      endsPending = admin
        .listOffsets(
          partitions.map((partition) => ({ ...partition, spec: 'latest' as const })),
          { timeoutMs: context.timeoutMs, signal: context.signal },
        )
        .then((answers) => {
          for (const answer of answers) ends.set(partitionKey(answer), answer.offset);
        });
    },
  });
  // Partitions that are already read to their end give no batches: check now and then.
  const watcher = options.exitAtEnd
    ? setInterval(() => {
        if (caughtUp()) stop.abort();
      }, CLI_LIMITS.GROUP_END_CHECK_INTERVAL_MS)
    : undefined;
  const writer = new RecordWriter(context, options);
  /** The offset after the last record printed, by partition: what to commit. */
  const printedUpTo = new Map<string, CommitOffset>();
  let printed = 0;
  try {
    for await (const batch of consumer.batches({ signal: stop.signal })) {
      let taken = 0;
      for (const record of batch.records as readonly ConsumerRecord<Buffer, Buffer>[]) {
        await writer.add(record);
        printed++;
        taken++;
        if (printed >= options.maxMessages) break;
      }
      await writer.flush();
      if (taken > 0) {
        printedUpTo.set(partitionKey(batch), {
          topic: batch.topic,
          partition: batch.partition,
          offset: batch.records[taken - 1].offset + 1,
        });
      }
      if (taken < batch.records.length) {
        // Hand back what was not printed, so that the commit on close covers only what was.
        consumer.seek({
          topic: batch.topic,
          partition: batch.partition,
          offset: batch.records[taken].offset,
        });
      }
      if (printed >= options.maxMessages) break;
      await endsPending;
      if (options.exitAtEnd && caughtUp()) break;
    }
    await writer.flush();
    await commitPrinted(context, consumer, printedUpTo);
  } finally {
    if (watcher !== undefined) clearInterval(watcher);
    context.signal.removeEventListener('abort', onAbort);
    await consumer.close();
  }
  return printed;
}

/**
 * Commits the offsets after the records printed, for the partitions this member still owns (closing
 * commits only what the consumer counts as processed, which leaves out the batch being read when the
 * command stops). A failed commit is reported, not fatal: the records were printed.
 */
async function commitPrinted(
  context: CommandContext,
  consumer: Consumer<Buffer, Buffer>,
  printedUpTo: ReadonlyMap<string, CommitOffset>,
): Promise<void> {
  const owned = new Set(
    consumer.assignment().map((partition) => `${partition.topic}\u0000${partition.partition}`),
  );
  const offsets = [...printedUpTo].filter(([key]) => owned.has(key)).map(([, offset]) => offset);
  if (offsets.length === 0) return;
  try {
    await consumer.commit(offsets, { timeoutMs: context.timeoutMs });
  } catch (error) {
    context.output.note(
      `warning: could not commit the offsets of what was printed: ${(error as Error).message}`,
    );
  }
}
