import {
  type CommandDefinition,
  type CommandGroup,
  type Example,
  GLOBAL_OPTIONS,
  type OptionDefinition,
  type TopLevelEntry,
} from './command.js';
import type { Output } from './output.js';

const INDENT = '  ';

function optionLabel(name: string, option: OptionDefinition): string {
  const long = `--${name}${option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : ''}`;
  return option.short === undefined ? `    ${long}` : `-${option.short}, ${long}`;
}

function optionLines(options: Readonly<Record<string, OptionDefinition>>): string[] {
  const entries = Object.entries(options);
  const labels = entries.map(([name, option]) => optionLabel(name, option));
  const width = Math.max(...labels.map((label) => label.length));
  return entries.map(([, option], i) => {
    const extra = [
      option.multiple ? 'repeatable' : null,
      option.defaultText !== undefined ? `default ${option.defaultText}` : null,
    ].filter((part) => part !== null);
    const suffix = extra.length > 0 ? ` (${extra.join('; ')})` : '';
    return `${INDENT}${labels[i].padEnd(width)}  ${option.description}${suffix}`;
  });
}

function exampleLines(output: Output, examples: readonly Example[]): string[] {
  return examples.flatMap((example) => [
    `${INDENT}${output.style('cyan', example.command)}`,
    `${INDENT}${INDENT}${output.style('dim', example.description)}`,
  ]);
}

function heading(output: Output, text: string): string {
  return output.style('bold', text);
}

function usageOf(command: CommandDefinition): string {
  const positionals = (command.positionals ?? []).map((positional) => {
    const name = `<${positional.name}>${positional.variadic ? '...' : ''}`;
    return positional.required ? name : `[${name}]`;
  });
  return ['sluice', ...command.path, ...positionals, '[options]'].join(' ');
}

export function commandHelp(output: Output, command: CommandDefinition): string {
  const lines = [`sluice ${command.path.join(' ')}: ${command.summary}`, ''];
  lines.push(`${heading(output, 'Usage:')} ${usageOf(command)}`, '');
  if (command.description !== undefined) lines.push(command.description, '');
  const positionals = command.positionals ?? [];
  if (positionals.length > 0) {
    const width = Math.max(...positionals.map((positional) => positional.name.length + 2));
    lines.push(heading(output, 'Arguments:'));
    for (const positional of positionals)
      lines.push(`${INDENT}${`<${positional.name}>`.padEnd(width)}  ${positional.description}`);
    lines.push('');
  }
  if (Object.keys(command.options).length > 0) {
    lines.push(heading(output, 'Options:'), ...optionLines(command.options), '');
  }
  lines.push(heading(output, 'Global options:'), ...optionLines(GLOBAL_OPTIONS), '');
  lines.push(heading(output, 'Examples:'), ...exampleLines(output, command.examples));
  return lines.join('\n');
}

export function groupHelp(output: Output, group: CommandGroup): string {
  const lines = [`sluice ${group.name}: ${group.summary}`, ''];
  lines.push(`${heading(output, 'Usage:')} sluice ${group.name} <command> [options]`, '');
  if (group.description !== undefined) lines.push(group.description, '');
  const width = Math.max(...group.commands.map((command) => command.path[command.path.length - 1].length));
  lines.push(heading(output, 'Commands:'));
  for (const command of group.commands) {
    lines.push(`${INDENT}${command.path[command.path.length - 1].padEnd(width)}  ${command.summary}`);
  }
  lines.push('', heading(output, 'Global options:'), ...optionLines(GLOBAL_OPTIONS), '');
  lines.push(heading(output, 'Examples:'), ...exampleLines(output, group.examples), '');
  lines.push(`Run \`sluice ${group.name} <command> --help\` for a command's options.`);
  return lines.join('\n');
}

export function topLevelHelp(output: Output, entries: readonly TopLevelEntry[], version: string): string {
  const lines = [
    `sluice ${version}: the command line for Sluice (and any Kafka-protocol cluster)`,
    '',
    `${heading(output, 'Usage:')} sluice [--bootstrap-server HOST:PORT] <command> [options]`,
    '',
    heading(output, 'Commands:'),
  ];
  const names = entries.map((entry) => (entry.kind === 'group' ? entry.name : entry.path[0]));
  const width = Math.max(...names.map((name) => name.length));
  entries.forEach((entry, i) => {
    lines.push(`${INDENT}${names[i].padEnd(width)}  ${entry.summary}`);
  });
  lines.push(
    '',
    heading(output, 'Global options:'),
    ...optionLines({ ...GLOBAL_OPTIONS, version: { type: 'boolean', description: 'print the version' } }),
    '',
  );
  lines.push(
    heading(output, 'Examples:'),
    ...exampleLines(output, [
      { command: 'sluice topics create orders --partitions 3', description: 'create a topic' },
      {
        command: "printf 'k1:hello\\nk2:world\\n' | sluice produce orders --key-separator :",
        description: 'write two keyed records from stdin',
      },
      {
        command: 'sluice consume orders --from-beginning --exit',
        description: 'print every record, then stop',
      },
      { command: 'sluice groups describe billing', description: "a group's members and lag per partition" },
      {
        command: 'sluice perf produce bench --records 1000000 --record-size 100',
        description: 'measure producer throughput and latency',
      },
    ]),
    '',
    heading(output, 'Exit codes:'),
    `${INDENT}0 success, 1 the operation failed, 2 the command line was wrong, 130 interrupted`,
    '',
    heading(output, 'Environment:'),
    `${INDENT}SLUICE_BOOTSTRAP_SERVER  default for --bootstrap-server`,
    `${INDENT}NO_COLOR                 no colour even on a terminal`,
    `${INDENT}SLUICE_LOG_LEVEL         the client's log level on stderr (default error)`,
    '',
    'Run `sluice <command> --help` for its subcommands, options and examples.',
  );
  return lines.join('\n');
}
