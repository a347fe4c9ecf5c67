import { ErrorCode, KafkaError, type TopicDescription } from '@sluice/client';
import { Arguments } from '../arguments.js';
import { CliError } from '../cli-error.js';
import type { CommandContext, CommandDefinition, CommandGroup, ParsedInput } from '../command.js';
import { editOverrides, readOverrides } from '../config-overrides.js';

const json = { type: 'boolean', description: 'print JSON instead of a table' } as const;

function args(command: CommandDefinition, input: ParsedInput): Arguments {
  return new Arguments(command, input);
}

function operation(context: CommandContext) {
  return { timeoutMs: context.timeoutMs, signal: context.signal };
}

const create: CommandDefinition = {
  kind: 'command',
  path: ['topics', 'create'],
  summary: 'create topics',
  positionals: [
    { name: 'topic', description: 'the name of a topic to create', required: true, variadic: true },
  ],
  options: {
    partitions: {
      type: 'string',
      short: 'p',
      value: 'N',
      description: 'partitions of each topic',
      defaultText: "the broker's num.partitions",
    },
    'replication-factor': {
      type: 'string',
      short: 'r',
      value: 'N',
      description: 'replicas of each partition',
      defaultText: "the broker's default.replication.factor",
    },
    config: {
      type: 'string',
      short: 'c',
      multiple: true,
      value: 'KEY=VALUE',
      description: 'a topic config, e.g. retention.ms=86400000',
    },
    'if-not-exists': { type: 'boolean', description: 'succeed when a topic already exists' },
  },
  examples: [
    { command: 'sluice topics create orders --partitions 6', description: 'a topic with six partitions' },
    {
      command: 'sluice topics create audit -p 1 -c cleanup.policy=compact -c retention.ms=-1',
      description: 'a compacted topic kept forever',
    },
    {
      command: 'sluice topics create orders --if-not-exists',
      description: 'create it unless it is there (for scripts)',
    },
  ],
  async run(context, input) {
    const a = args(this, input);
    const topics = a.positionals();
    const numPartitions = a.integer('partitions', { min: 1, max: 1_000_000 });
    const replicationFactor = a.integer('replication-factor', { min: 1, max: 32_767 });
    const configs = Object.fromEntries(a.pairs('config'));
    await context.connect();
    const admin = context.admin();
    const created: string[] = [];
    const existing: string[] = [];
    for (const topic of topics) {
      try {
        await admin.createTopics([{ topic, numPartitions, replicationFactor, configs }], operation(context));
        created.push(topic);
      } catch (error) {
        if (
          a.boolean('if-not-exists') &&
          KafkaError.isInstance(error) &&
          error.code === ErrorCode.TOPIC_ALREADY_EXISTS
        ) {
          existing.push(topic);
        } else throw error;
      }
    }
    for (const topic of created)
      await context.output.line(`Created topic ${context.output.style('green', topic)}.`);
    for (const topic of existing) await context.output.line(`Topic ${topic} already exists.`);
  },
};

const list: CommandDefinition = {
  kind: 'command',
  path: ['topics', 'list'],
  summary: 'list the topics, one per line',
  options: {
    internal: { type: 'boolean', description: 'include internal topics such as __consumer_offsets' },
    json,
  },
  examples: [
    { command: 'sluice topics list', description: 'every topic name' },
    { command: 'sluice topics list --json | jq length', description: 'count them' },
  ],
  async run(context, input) {
    const a = args(this, input);
    a.positionals();
    await context.connect();
    const topics = await context
      .admin()
      .listTopics({ ...operation(context), includeInternal: a.boolean('internal') });
    if (a.boolean('json')) await context.output.json(topics);
    else for (const topic of topics) await context.output.line(topic);
  },
};

interface DescribedTopic {
  name: string;
  internal: boolean;
  partitionCount: number;
  replicationFactor: number;
  configs: Record<string, string>;
  partitions: {
    partition: number;
    leader: number;
    leaderEpoch: number;
    replicas: number[];
    isr: number[];
    offlineReplicas: number[];
  }[];
}

const describe: CommandDefinition = {
  kind: 'command',
  path: ['topics', 'describe'],
  summary: "topics' partitions, leaders, replicas, in-sync replicas and configs",
  description:
    'Configs are the overrides set on the topic; the rest come from the broker (see `sluice configs get --topic <topic> --all`).',
  positionals: [{ name: 'topic', description: 'topics to describe (default: every topic)', variadic: true }],
  options: {
    internal: { type: 'boolean', description: 'with no topic named, include internal topics' },
    json,
  },
  examples: [
    { command: 'sluice topics describe orders', description: 'one topic' },
    { command: 'sluice topics describe', description: 'every topic' },
    { command: 'sluice topics describe orders --json', description: 'as JSON, for scripts' },
  ],
  async run(context, input) {
    const a = args(this, input);
    let names = [...a.positionals()];
    await context.connect();
    const admin = context.admin();
    if (names.length === 0)
      names = await admin.listTopics({ ...operation(context), includeInternal: a.boolean('internal') });
    const topics = names.length === 0 ? [] : await admin.describeTopics(names, operation(context));
    const described: DescribedTopic[] = [];
    for (const topic of topics) {
      const configs = Object.fromEntries(await readOverrides(admin, 'topic', topic.name, operation(context)));
      described.push(summarize(topic, configs));
    }
    const out = context.output;
    if (a.boolean('json')) {
      await out.json(described);
      return;
    }
    for (const [i, topic] of described.entries()) {
      if (i > 0) await out.line();
      const configText = Object.entries(topic.configs)
        .map(([key, value]) => `${key}=${value}`)
        .join(',');
      await out.line(
        `${out.style('bold', 'Topic:')} ${topic.name}  ${out.style('bold', 'PartitionCount:')} ${topic.partitionCount}  ${out.style('bold', 'ReplicationFactor:')} ${topic.replicationFactor}  ${out.style('bold', 'Configs:')} ${configText || '-'}`,
      );
      await out.line(
        out.table(
          ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'OFFLINE'],
          topic.partitions.map((partition) => [
            String(partition.partition),
            partition.leader < 0 ? out.style('red', 'none') : String(partition.leader),
            partition.replicas.join(','),
            partition.isr.join(','),
            partition.offlineReplicas.join(',') || '-',
          ]),
        ),
      );
    }
  },
};

function summarize(topic: TopicDescription, configs: Record<string, string>): DescribedTopic {
  return {
    name: topic.name,
    internal: topic.isInternal,
    partitionCount: topic.partitions.length,
    replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
    configs,
    partitions: topic.partitions.map((partition) => ({
      partition: partition.partition,
      leader: partition.leader,
      leaderEpoch: partition.leaderEpoch,
      replicas: partition.replicas,
      isr: partition.isr,
      offlineReplicas: partition.offlineReplicas,
    })),
  };
}

const alter: CommandDefinition = {
  kind: 'command',
  path: ['topics', 'alter'],
  summary: "change a topic's configs",
  description:
    'Sets and removes config overrides of the topic and keeps its other overrides. A removed override returns to the broker default.',
  positionals: [{ name: 'topic', description: 'the topic', required: true }],
  options: {
    config: { type: 'string', short: 'c', multiple: true, value: 'KEY=VALUE', description: 'set a config' },
    'delete-config': { type: 'string', multiple: true, value: 'KEY', description: 'remove an override' },
  },
  examples: [
    {
      command: 'sluice topics alter orders --config retention.ms=3600000',
      description: 'keep records for an hour',
    },
    {
      command: 'sluice topics alter orders --delete-config retention.ms',
      description: 'back to the broker default',
    },
  ],
  async run(context, input) {
    const a = args(this, input);
    const [topic] = a.positionals();
    const set = a.pairs('config');
    const remove = a.list('delete-config');
    if (set.size === 0 && remove.length === 0)
      throw a.usage('give --config KEY=VALUE or --delete-config KEY');
    await context.connect();
    const overrides = await editOverrides(
      context.admin(),
      'topic',
      topic,
      { set, remove },
      operation(context),
    );
    const text = [...overrides].map(([key, value]) => `${key}=${value}`).join(',');
    await context.output.line(`Altered topic ${topic}: configs ${text || '(broker defaults)'}.`);
  },
};

const addPartitions: CommandDefinition = {
  kind: 'command',
  path: ['topics', 'add-partitions'],
  summary: 'raise the number of partitions of a topic',
  description:
    'Partitions only grow. Keyed records map to partitions by the count, so adding partitions moves keys.',
  positionals: [{ name: 'topic', description: 'the topic', required: true }],
  options: {
    partitions: {
      type: 'string',
      short: 'p',
      value: 'N',
      description: 'the new total number of partitions (required)',
    },
  },
  examples: [
    {
      command: 'sluice topics add-partitions orders --partitions 12',
      description: 'grow orders to 12 partitions',
    },
  ],
  async run(context, input) {
    const a = args(this, input);
    const [topic] = a.positionals();
    const count = a.integer('partitions', { min: 1, max: 1_000_000 });
    if (count === undefined) throw a.usage('--partitions N (the new total) is required');
    await context.connect();
    const admin = context.admin();
    const [current] = await admin.describeTopics([topic], operation(context));
    if (count <= current.partitions.length) {
      throw new CliError(
        `${topic} has ${current.partitions.length} partitions already; partitions only grow`,
        `give a total above ${current.partitions.length}`,
      );
    }
    await admin.createPartitions([{ topic, count }], operation(context));
    await context.output.line(
      `Topic ${topic} now has ${count} partitions (was ${current.partitions.length}).`,
    );
  },
};

const remove: CommandDefinition = {
  kind: 'command',
  path: ['topics', 'delete'],
  summary: 'delete topics and their records',
  positionals: [{ name: 'topic', description: 'a topic to delete', required: true, variadic: true }],
  options: { 'if-exists': { type: 'boolean', description: 'succeed when a topic does not exist' } },
  examples: [
    { command: 'sluice topics delete orders', description: 'delete one topic' },
    {
      command: 'sluice topics delete scratch-1 scratch-2 --if-exists',
      description: 'clean up, whether or not they exist',
    },
  ],
  async run(context, input) {
    const a = args(this, input);
    const topics = a.positionals();
    await context.connect();
    const admin = context.admin();
    for (const topic of topics) {
      try {
        await admin.deleteTopics([topic], operation(context));
        await context.output.line(`Deleted topic ${topic}.`);
      } catch (error) {
        if (
          a.boolean('if-exists') &&
          KafkaError.isInstance(error) &&
          error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        ) {
          await context.output.line(`Topic ${topic} does not exist.`);
        } else throw error;
      }
    }
  },
};

export const topicsGroup: CommandGroup = {
  kind: 'group',
  name: 'topics',
  summary: 'create, list, describe, alter, grow and delete topics',
  commands: [create, list, describe, alter, addPartitions, remove],
  examples: [
    { command: 'sluice topics create orders --partitions 3', description: 'create a topic' },
    { command: 'sluice topics describe orders', description: 'partitions, leaders, replicas, ISR, configs' },
    { command: 'sluice topics add-partitions orders --partitions 6', description: 'grow it' },
  ],
};
