import type { ConfigResourceTypeName } from '@sluice/client';
import { Arguments } from '../arguments.js';
import type { CommandDefinition, CommandGroup } from '../command.js';
import { editOverrides } from '../config-overrides.js';

const resourceOptions = {
  topic: { type: 'string', value: 'TOPIC', description: "a topic's configs" },
  broker: { type: 'string', value: 'ID', description: "a broker's configs, by node id" },
} as const;

function resource(a: Arguments): { type: ConfigResourceTypeName; name: string } {
  const chosen = a.oneOf(['topic', 'broker']);
  if (chosen === undefined) throw a.usage('give --topic TOPIC or --broker ID');
  const name = a.requiredString(chosen);
  if (chosen === 'broker' && !/^\d+$/.test(name)) throw a.usage(`--broker takes a node id, got "${name}"`);
  return { type: chosen as ConfigResourceTypeName, name };
}

const get: CommandDefinition = {
  kind: 'command',
  path: ['configs', 'get'],
  summary: 'show the configs of a topic or a broker',
  description:
    'By default only the overrides set on the topic or broker; --all shows every config with where its value comes from.',
  positionals: [{ name: 'key', description: 'only these configs (whatever their source)', variadic: true }],
  options: {
    ...resourceOptions,
    all: { type: 'boolean', description: 'every config, defaults included' },
    json: { type: 'boolean', description: 'print JSON' },
  },
  examples: [
    { command: 'sluice configs get --topic orders', description: "the topic's overrides" },
    { command: 'sluice configs get --topic orders --all', description: 'all its configs and their sources' },
    { command: 'sluice configs get --broker 1 log.retention.hours', description: 'one broker config' },
  ],
  async run(context, input) {
    const a = new Arguments(this, input);
    const keys = a.positionals();
    const target = resource(a);
    await context.connect();
    const [description] = await context
      .admin()
      .describeConfigs([{ ...target, configNames: keys.length > 0 ? [...keys] : undefined }], {
        timeoutMs: context.timeoutMs,
        signal: context.signal,
      });
    const entries = description.configs
      .filter(
        (entry) =>
          keys.length > 0 || a.boolean('all') || (!entry.isDefault && entry.source.startsWith('dynamic')),
      )
      .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    const out = context.output;
    if (a.boolean('json')) {
      await out.json(
        entries.map((entry) => ({
          name: entry.name,
          value: entry.value,
          source: entry.source,
          readOnly: entry.readOnly,
          sensitive: entry.isSensitive,
        })),
      );
      return;
    }
    if (entries.length === 0) {
      context.output.note(`${target.type} ${target.name} has no config overrides (see them all with --all).`);
      return;
    }
    await out.line(
      out.table(
        ['NAME', 'VALUE', 'SOURCE'],
        entries.map((entry) => [
          entry.name,
          entry.isSensitive ? '(sensitive)' : (entry.value ?? '(null)'),
          entry.source,
        ]),
      ),
    );
  },
};

const set: CommandDefinition = {
  kind: 'command',
  path: ['configs', 'set'],
  summary: 'set or remove configs of a topic or a broker',
  description: 'Keeps the overrides not named. A removed override returns to its default.',
  positionals: [{ name: 'key=value', description: 'a config to set', variadic: true }],
  options: {
    ...resourceOptions,
    delete: { type: 'string', multiple: true, value: 'KEY', description: 'remove this override' },
  },
  examples: [
    {
      command: 'sluice configs set --topic orders retention.ms=3600000 segment.bytes=104857600',
      description: 'two topic configs',
    },
    {
      command: 'sluice configs set --topic orders --delete retention.ms',
      description: 'back to the default',
    },
    { command: 'sluice configs set --broker 1 log.cleaner.threads=2', description: 'a broker config' },
  ],
  async run(context, input) {
    const a = new Arguments(this, input);
    const target = resource(a);
    const values = new Map<string, string>();
    for (const entry of a.positionals()) {
      const equals = entry.indexOf('=');
      if (equals <= 0) throw a.usage(`"${entry}" is not KEY=VALUE`);
      values.set(entry.slice(0, equals), entry.slice(equals + 1));
    }
    const remove = a.list('delete');
    if (values.size === 0 && remove.length === 0) throw a.usage('give KEY=VALUE to set, or --delete KEY');
    await context.connect();
    const overrides = await editOverrides(
      context.admin(),
      target.type,
      target.name,
      { set: values, remove },
      {
        timeoutMs: context.timeoutMs,
        signal: context.signal,
      },
    );
    const text = [...overrides].map(([key, value]) => `${key}=${value}`).join(',');
    await context.output.line(`Updated ${target.type} ${target.name}: overrides ${text || '(none)'}.`);
  },
};

export const configsGroup: CommandGroup = {
  kind: 'group',
  name: 'configs',
  summary: 'get and set configs of topics and brokers',
  commands: [get, set],
  examples: [
    { command: 'sluice configs get --topic orders --all', description: "a topic's configs" },
    { command: 'sluice configs set --topic orders retention.ms=3600000', description: 'change one' },
  ],
};
