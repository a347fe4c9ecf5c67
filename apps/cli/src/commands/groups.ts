import type { GroupDescription, OffsetReset, OffsetResetSpec, TopicSelection } from '@sluice/client';
import { Arguments } from '../arguments.js';
import type { CommandContext, CommandDefinition, CommandGroup } from '../command.js';
import { parseTime } from '../time-spec.js';
import { parseTopicPartitions } from './shared-options.js';

const json = { type: 'boolean', description: 'print JSON' } as const;

function operation(context: CommandContext) {
  return { timeoutMs: context.timeoutMs, signal: context.signal };
}

const list: CommandDefinition = {
  kind: 'command',
  path: ['groups', 'list'],
  summary: 'list the groups with their state and member count',
  options: { json },
  examples: [
    { command: 'sluice groups list', description: 'every group' },
    { command: 'sluice groups list --json', description: 'as JSON' },
  ],
  async run(context, input) {
    const a = new Arguments(this, input);
    a.positionals();
    await context.connect();
    const admin = context.admin();
    const groups = await admin.listGroups(operation(context));
    const described =
      groups.length === 0
        ? []
        : await admin.describeGroups(
            groups.map((group) => group.groupId),
            operation(context),
          );
    const rows = described.map((group) => ({
      groupId: group.groupId,
      state: group.state,
      members: group.members.length,
      protocolType: group.protocolType,
      coordinator: group.coordinator,
    }));
    const out = context.output;
    if (a.boolean('json')) {
      await out.json(rows);
      return;
    }
    if (rows.length === 0) {
      out.note('No groups.');
      return;
    }
    await out.line(
      out.table(
        ['GROUP', 'STATE', 'MEMBERS', 'TYPE', 'COORDINATOR'],
        rows.map((row) => [
          row.groupId,
          styleState(context, row.state),
          String(row.members),
          row.protocolType || '-',
          String(row.coordinator),
        ]),
      ),
    );
  },
};

function styleState(context: CommandContext, state: string): string {
  if (state === 'Stable') return context.output.style('green', state);
  if (state === 'Empty' || state === 'Dead') return context.output.style('dim', state);
  return context.output.style('yellow', state);
}

/** One partition's row of `groups describe`. */
interface PartitionLag {
  topic: string;
  partition: number;
  /** The committed offset, or null when the group has none for the partition. */
  committedOffset: number | null;
  logEndOffset: number;
  /** logEndOffset - committedOffset, or null without a committed offset. */
  lag: number | null;
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}

interface GroupReport {
  groupId: string;
  state: string;
  protocolType: string;
  assignor: string;
  coordinator: number;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    host: string;
    assignment: { topic: string; partitions: number[] }[] | null;
  }[];
  partitions: PartitionLag[];
  totalLag: number;
}

async function reportGroup(context: CommandContext, group: GroupDescription): Promise<GroupReport> {
  const admin = context.admin();
  const committed = await admin.fetchOffsets(group.groupId, operation(context));
  const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
  const owners = new Map<string, GroupDescription['members'][number]>();
  for (const member of group.members) {
    for (const assigned of member.assignment ?? []) {
      for (const partition of assigned.partitions) owners.set(key(assigned.topic, partition), member);
    }
  }
  const rows = new Map<string, { topic: string; partition: number; committedOffset: number | null }>();
  for (const entry of committed)
    rows.set(key(entry.topic, entry.partition), { ...entry, committedOffset: entry.offset });
  for (const member of group.members) {
    for (const assigned of member.assignment ?? []) {
      for (const partition of assigned.partitions) {
        if (!rows.has(key(assigned.topic, partition)))
          rows.set(key(assigned.topic, partition), {
            topic: assigned.topic,
            partition,
            committedOffset: null,
          });
      }
    }
  }
  const sorted = [...rows.values()].sort((x, y) =>
    x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : x.partition - y.partition,
  );
  const ends =
    sorted.length === 0
      ? []
      : await admin.listOffsets(
          sorted.map((row) => ({ topic: row.topic, partition: row.partition, spec: 'latest' as const })),
          operation(context),
        );
  const partitions = sorted.map((row, i) => {
    const owner = owners.get(key(row.topic, row.partition));
    const logEndOffset = ends[i].offset;
    return {
      topic: row.topic,
      partition: row.partition,
      committedOffset: row.committedOffset,
      logEndOffset,
      lag: row.committedOffset === null ? null : Math.max(0, logEndOffset - row.committedOffset),
      memberId: owner?.memberId ?? null,
      clientId: owner?.clientId ?? null,
      host: owner?.clientHost ?? null,
    };
  });
  return {
    groupId: group.groupId,
    state: group.state,
    protocolType: group.protocolType,
    assignor: group.protocol,
    coordinator: group.coordinator,
    members: group.members.map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      host: member.clientHost,
      assignment:
        member.assignment?.map((entry) => ({ topic: entry.topic, partitions: [...entry.partitions] })) ??
        null,
    })),
    partitions,
    totalLag: partitions.reduce((sum, row) => sum + (row.lag ?? 0), 0),
  };
}

const describe: CommandDefinition = {
  kind: 'command',
  path: ['groups', 'describe'],
  summary: "a group's state, members, their assignments, and offsets and lag per partition",
  description:
    'Lag is the log end offset minus the committed offset. Partitions assigned without a committed offset show "-".',
  positionals: [{ name: 'group', description: 'a group to describe', required: true, variadic: true }],
  options: { json },
  examples: [
    { command: 'sluice groups describe billing', description: 'members, assignments and lag' },
    {
      command: 'sluice groups describe billing --json | jq .[0].totalLag',
      description: 'the total lag, for a script',
    },
  ],
  async run(context, input) {
    const a = new Arguments(this, input);
    const ids = a.positionals();
    await context.connect();
    const groups = await context.admin().describeGroups(ids, operation(context));
    const reports: GroupReport[] = [];
    for (const group of groups) reports.push(await reportGroup(context, group));
    const out = context.output;
    if (a.boolean('json')) {
      await out.json(reports);
      return;
    }
    for (const [i, report] of reports.entries()) {
      if (i > 0) await out.line();
      const exists = !(
        report.state === 'Dead' &&
        report.members.length === 0 &&
        report.partitions.length === 0
      );
      await out.line(
        `${out.style('bold', 'Group')} ${report.groupId}: ${exists ? styleState(context, report.state) : 'does not exist'}, ${report.members.length} member(s)${report.assignor ? `, assignor ${report.assignor}` : ''}, coordinator ${report.coordinator}, total lag ${report.totalLag}`,
      );
      if (report.partitions.length > 0) {
        await out.line();
        await out.line(
          out.table(
            [
              'TOPIC',
              'PARTITION',
              'CURRENT-OFFSET',
              'LOG-END-OFFSET',
              'LAG',
              'CONSUMER-ID',
              'HOST',
              'CLIENT-ID',
            ],
            report.partitions.map((row) => [
              row.topic,
              String(row.partition),
              row.committedOffset === null ? '-' : String(row.committedOffset),
              String(row.logEndOffset),
              row.lag === null ? '-' : row.lag > 0 ? out.style('yellow', String(row.lag)) : String(row.lag),
              row.memberId ?? '-',
              row.host ?? '-',
              row.clientId ?? '-',
            ]),
          ),
        );
      }
      if (report.members.length > 0) {
        await out.line();
        await out.line(
          out.table(
            ['MEMBER-ID', 'CLIENT-ID', 'HOST', 'ASSIGNMENT'],
            report.members.map((member) => [
              member.memberId,
              member.clientId,
              member.host,
              member.assignment === null
                ? '(not a consumer assignment)'
                : member.assignment
                    .map((entry) => `${entry.topic}:${entry.partitions.join(',')}`)
                    .join(' ') || '-',
            ]),
          ),
        );
      }
    }
  },
};

const reset: CommandDefinition = {
  kind: 'command',
  path: ['groups', 'reset-offsets'],
  summary: "move a group's committed offsets (a dry run unless --execute)",
  description: [
    'Only a group without members can be reset: stop its consumers first. Without --execute it prints what',
    "it would do and changes nothing. New offsets are kept within each partition's earliest and latest.",
  ].join('\n'),
  positionals: [{ name: 'group', description: 'the group', required: true }],
  options: {
    topic: {
      type: 'string',
      multiple: true,
      value: 'TOPIC[:P,P]',
      description: 'a topic (all its partitions, or those listed) to reset',
    },
    'all-topics': { type: 'boolean', description: 'every partition the group has committed offsets for' },
    'to-earliest': { type: 'boolean', description: 'to the earliest offset' },
    'to-latest': { type: 'boolean', description: 'to the latest offset (skip everything)' },
    'to-datetime': {
      type: 'string',
      value: 'TIME',
      description: 'to the first record at or after TIME (2024-05-01T12:00:00Z, ms, -2h)',
    },
    'to-offset': { type: 'string', value: 'N', description: 'to offset N' },
    'shift-by': {
      type: 'string',
      value: 'N',
      description: 'N records on from the committed offset (negative: back)',
    },
    'dry-run': { type: 'boolean', description: 'show the new offsets without committing (the default)' },
    execute: { type: 'boolean', description: 'commit the new offsets' },
    json,
  },
  examples: [
    {
      command: 'sluice groups reset-offsets billing --topic orders --to-earliest',
      description: 'preview replaying orders',
    },
    {
      command: 'sluice groups reset-offsets billing --topic orders --to-earliest --execute',
      description: 'replay orders',
    },
    {
      command: 'sluice groups reset-offsets billing --all-topics --shift-by -100 --execute',
      description: 'go back 100 records everywhere',
    },
    {
      command:
        'sluice groups reset-offsets billing --topic orders:0,1 --to-datetime 2024-05-01T00:00:00Z --execute',
      description: 'partitions 0 and 1 from a point in time',
    },
  ],
  async run(context, input) {
    const a = new Arguments(this, input);
    const [groupId] = a.positionals();
    const topicTexts = a.list('topic');
    if (topicTexts.length > 0 && a.boolean('all-topics'))
      throw a.usage('give --topic or --all-topics, not both');
    if (topicTexts.length === 0 && !a.boolean('all-topics'))
      throw a.usage('give --topic TOPIC[:P,P] or --all-topics');
    const topics: TopicSelection[] | undefined =
      topicTexts.length === 0 ? undefined : topicTexts.map((text) => parseTopicPartitions(a, text));
    const to = resetSpec(a);
    if (a.boolean('dry-run') && a.boolean('execute')) throw a.usage('give --dry-run or --execute, not both');
    const dryRun = !a.boolean('execute');
    await context.connect();
    const plan = await context.admin().resetOffsets(groupId, { topics, to, dryRun }, operation(context));
    await printPlan(context, groupId, plan, dryRun, a.boolean('json'));
  },
};

function resetSpec(a: Arguments): OffsetResetSpec {
  const chosen = a.oneOf(['to-earliest', 'to-latest', 'to-datetime', 'to-offset', 'shift-by']);
  switch (chosen) {
    case 'to-earliest':
      return 'earliest';
    case 'to-latest':
      return 'latest';
    case 'to-datetime':
      try {
        return { timestamp: parseTime(a.string('to-datetime')!, Date.now()) };
      } catch (error) {
        throw a.usage(`--to-datetime: ${(error as Error).message}`);
      }
    case 'to-offset':
      return { offset: a.integer('to-offset', { min: 0 })! };
    case 'shift-by':
      return { shiftBy: a.integer('shift-by')! };
    default:
      throw a.usage('say where to: --to-earliest, --to-latest, --to-datetime, --to-offset or --shift-by');
  }
}

async function printPlan(
  context: CommandContext,
  groupId: string,
  plan: readonly OffsetReset[],
  dryRun: boolean,
  asJson: boolean,
) {
  const out = context.output;
  if (asJson) await out.json({ groupId, dryRun, partitions: plan });
  else if (plan.length === 0)
    out.note(`Group ${groupId} has no committed offsets to reset; name the topics with --topic.`);
  else
    await out.line(
      out.table(
        ['GROUP', 'TOPIC', 'PARTITION', 'PREVIOUS-OFFSET', 'NEW-OFFSET'],
        plan.map((entry) => [
          groupId,
          entry.topic,
          String(entry.partition),
          entry.previousOffset === null ? '-' : String(entry.previousOffset),
          String(entry.offset),
        ]),
      ),
    );
  if (dryRun)
    out.note(
      out.errorStyle('yellow', 'Dry run: nothing was changed. Add --execute to commit these offsets.'),
    );
  else out.note(`Committed ${plan.length} offset${plan.length === 1 ? '' : 's'} for group ${groupId}.`);
}

const remove: CommandDefinition = {
  kind: 'command',
  path: ['groups', 'delete'],
  summary: 'delete groups and their committed offsets',
  description: 'Only a group without members can be deleted.',
  positionals: [{ name: 'group', description: 'a group to delete', required: true, variadic: true }],
  options: {},
  examples: [{ command: 'sluice groups delete billing-old', description: 'delete one group' }],
  async run(context, input) {
    const a = new Arguments(this, input);
    const ids = a.positionals();
    await context.connect();
    await context.admin().deleteGroups(ids, operation(context));
    for (const id of ids) await context.output.line(`Deleted group ${id}.`);
  },
};

const deleteOffsets: CommandDefinition = {
  kind: 'command',
  path: ['groups', 'delete-offsets'],
  summary: "delete a group's committed offsets of some topics",
  description: 'Refused for topics the group is subscribed to while it has members.',
  positionals: [{ name: 'group', description: 'the group', required: true }],
  options: {
    topic: {
      type: 'string',
      multiple: true,
      value: 'TOPIC[:P,P]',
      description: 'a topic (all its partitions, or those listed)',
    },
  },
  examples: [
    { command: 'sluice groups delete-offsets billing --topic old-orders', description: 'forget old-orders' },
  ],
  async run(context, input) {
    const a = new Arguments(this, input);
    const [groupId] = a.positionals();
    const selections = a.list('topic').map((text) => parseTopicPartitions(a, text));
    if (selections.length === 0) throw a.usage('give --topic TOPIC[:P,P]');
    await context.connect();
    const admin = context.admin();
    const whole = selections
      .filter((selection) => selection.partitions === undefined)
      .map((selection) => selection.topic);
    const described = whole.length === 0 ? [] : await admin.describeTopics(whole, operation(context));
    const partitions = selections.flatMap((selection) =>
      (
        selection.partitions ??
        described.find((topic) => topic.name === selection.topic)!.partitions.map((p) => p.partition)
      ).map((partition) => ({ topic: selection.topic, partition })),
    );
    await admin.deleteOffsets(groupId, partitions, operation(context));
    await context.output.line(
      `Deleted the offsets of ${partitions.length} partition(s) for group ${groupId}.`,
    );
  },
};

export const groupsGroup: CommandGroup = {
  kind: 'group',
  name: 'groups',
  summary: 'list, describe (with lag), reset offsets of, and delete consumer groups',
  commands: [list, describe, reset, remove, deleteOffsets],
  examples: [
    { command: 'sluice groups list', description: 'every group and its state' },
    { command: 'sluice groups describe billing', description: 'members, assignments, lag per partition' },
    {
      command: 'sluice groups reset-offsets billing --topic orders --to-earliest --execute',
      description: 'replay a topic',
    },
  ],
};
