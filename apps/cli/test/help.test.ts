import { describe, expect, it } from 'vitest';
import { TOP_LEVEL } from '../src/commands/index.js';
import { runCli, runCliOnTerminal, terminalUnavailableReason } from './run-cli.js';

const ESCAPE = '\u001b[';

const commandPaths = TOP_LEVEL.flatMap((entry) =>
  entry.kind === 'group'
    ? [[entry.name], ...entry.commands.map((command) => [...command.path])]
    : [[...entry.path]],
);

describe('help', () => {
  it('lists every command at the top level, with examples and exit codes', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const entry of TOP_LEVEL)
      expect(result.stdout).toContain(entry.kind === 'group' ? entry.name : entry.path[0]);
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain('Exit codes:');
    expect(result.stdout).toContain('--bootstrap-server');
  });

  it.each(commandPaths.map((path) => [path.join(' '), path]))(
    'sluice %s --help shows usage, options and examples',
    async (_, path) => {
      const result = await runCli([...(path as string[]), '--help']);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain(`sluice ${(path as string[]).join(' ')}`);
      expect(result.stdout).toContain('Usage:');
      expect(result.stdout).toContain('Examples:');
      // Every example is a sluice command line.
      const examples = result.stdout.slice(result.stdout.indexOf('Examples:')).split('\n').slice(1);
      expect(examples.some((line) => /^\s+(sluice|printf|echo) /.test(line))).toBe(true);
    },
  );

  it('gives the same help through `sluice help <command>`', async () => {
    const viaHelp = await runCli(['help', 'topics', 'create']);
    const viaFlag = await runCli(['topics', 'create', '--help']);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });

  it('prints its version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('usage errors exit with 2 and point to the help', () => {
  it.each([
    [['bogus'], /unknown command "bogus"; the commands are: topics, produce/],
    [['topics', 'lst'], /unknown command "sluice topics lst"; `sluice topics` has: create, list/],
    [['topics', 'create'], /missing <topic>/],
    [['consume', 'orders', '--bogus'], /Unknown option '--bogus'/],
    [['consume', 'orders', '--format', 'xml'], /--format must be one of value, key-value, json/],
    [
      ['consume', 'orders', '--from-beginning', '--offset', '5'],
      /give only one of --from-beginning, --offset/,
    ],
    [['consume', 'orders', '--from-timestamp', 'yesterday'], /is not a time/],
    [['produce', 'orders', '--acks', '2'], /--acks must be 0, 1 or all/],
    [['topics', 'create', 'x', '--partitions', 'many'], /--partitions must be an integer/],
    [['groups', 'reset-offsets', 'g', '--topic', 't'], /say where to: --to-earliest/],
    [['configs', 'get'], /give --topic TOPIC or --broker ID/],
    [['perf', 'produce', 'bench', '--records', '0'], /--records must be at least 1/],
    [['topics', 'list', '--timeout-ms', 'soon'], /--timeout-ms must be an integer/],
  ])('sluice %j', async (args, message) => {
    const result = await runCli(args as string[]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message as RegExp);
    expect(result.stderr).toMatch(/hint: see `sluice( [a-z-]+)* --help`/);
    expect(result.stdout).toBe('');
  });

  it('shows the group help and exits 2 for a group without a command', async () => {
    const result = await runCli(['groups']);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('reset-offsets');
  });
});

describe('errors that say what to do', () => {
  it('says how to start a broker when none answers, and exits 1 at once', async () => {
    const startedMs = Date.now();
    const result = await runCli(['topics', 'list', '--bootstrap-server', '127.0.0.1:1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach 127.0.0.1:1: is a broker running?');
    expect(result.stderr).toContain('start one with `pnpm start`');
    expect(Date.now() - startedMs).toBeLessThan(10_000);
  });

  it('reads the bootstrap server from SLUICE_BOOTSTRAP_SERVER', async () => {
    const result = await runCli(['cluster', 'describe'], { env: { SLUICE_BOOTSTRAP_SERVER: '127.0.0.1:2' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach 127.0.0.1:2');
  });
});

describe('colour', () => {
  it('never colours output into a pipe', async () => {
    const result = await runCli(['--help']);
    expect(result.stdout).not.toContain(ESCAPE);
  });

  it.skipIf(terminalUnavailableReason() !== null)('colours a terminal, unless NO_COLOR is set', async () => {
    const coloured = await runCliOnTerminal(['topics', '--help']);
    expect(coloured.stdout).toContain(`${ESCAPE}1m`);
    const plain = await runCliOnTerminal(['topics', '--help'], { NO_COLOR: '1' });
    expect(plain.stdout).toContain('Usage:');
    expect(plain.stdout).not.toContain(ESCAPE);
  });
});
