import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  type Admin,
  type ClusterDescription,
  ConnectionError,
  createClient,
  RequestTimeoutError,
  type Sluice,
} from '@sluice/client';
import { parseInteger } from './arguments.js';
import { type ProbeTarget, parseBootstrap, probeBootstrap } from './bootstrap-probe.js';
import { CliError, UsageError } from './cli-error.js';
import {
  type CommandContext,
  type CommandDefinition,
  DEFAULT_BOOTSTRAP_SERVER,
  GLOBAL_OPTIONS,
  type OptionDefinition,
  type ParsedInput,
  type TopLevelEntry,
} from './command.js';
import { TOP_LEVEL } from './commands/index.js';
import { describeError, unreachable } from './describe-error.js';
import { ExitCode, type ExitCodeValue } from './exit-code.js';
import { commandHelp, groupHelp, topLevelHelp } from './help.js';
import { CLI_LIMITS } from './limits.js';
import { Output, type OutputStream } from './output.js';

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: Readable;
  readonly env: NodeJS.ProcessEnv;
}

/** Global options that take a value, so that their value is not taken for a command word. */
const GLOBAL_VALUE_TOKENS = new Set(
  Object.entries(GLOBAL_OPTIONS).flatMap(([name, option]) =>
    option.type === 'string' ? [`--${name}`, ...(option.short ? [`-${option.short}`] : [])] : [],
  ),
);

interface Resolved {
  /** The entry named, if any; a group when no subcommand was named. */
  readonly entry: TopLevelEntry | undefined;
  /** The command words as given (for messages). */
  readonly words: readonly string[];
  /** argv without the command words. */
  readonly rest: readonly string[];
}

/** Finds the command words in argv (options may come before them) and returns the rest. */
function resolveCommand(argv: readonly string[]): Resolved {
  const words: string[] = [];
  const wordIndexes: number[] = [];
  let entry: TopLevelEntry | undefined;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') break;
    if (token.startsWith('-')) {
      if (GLOBAL_VALUE_TOKENS.has(token)) i++;
      continue;
    }
    if (words.length === 0) {
      entry = TOP_LEVEL.find((candidate) =>
        candidate.kind === 'group' ? candidate.name === token : candidate.path[0] === token,
      );
      words.push(token);
      wordIndexes.push(i);
      if (entry === undefined || entry.kind === 'command') break;
      continue;
    }
    if (entry?.kind === 'group') {
      const command = entry.commands.find((candidate) => candidate.path[1] === token);
      words.push(token);
      wordIndexes.push(i);
      if (command !== undefined) entry = command;
      break;
    }
  }
  return { entry, words, rest: argv.filter((_, i) => !wordIndexes.includes(i)) };
}

/** The helpful list of what exists, for an unknown word. */
function unknownCommand(words: readonly string[], group?: TopLevelEntry): UsageError {
  if (group?.kind === 'group') {
    const names = group.commands.map((command) => command.path[1]).join(', ');
    return new UsageError(
      `unknown command "sluice ${words.join(' ')}"; \`sluice ${group.name}\` has: ${names}`,
      [group.name],
    );
  }
  const names = TOP_LEVEL.map((entry) => (entry.kind === 'group' ? entry.name : entry.path[0])).join(', ');
  return new UsageError(`unknown command "${words[0]}"; the commands are: ${names}`);
}

/**
 * Joins a value option with a following value that starts with a dash and a digit (`--offset -10`,
 * `--from-timestamp -2h`, `--shift-by -5`), which parseArgs would otherwise refuse as ambiguous.
 */
function joinNegativeValues(
  argv: readonly string[],
  options: Readonly<Record<string, OptionDefinition>>,
): string[] {
  const valueTokens = new Set(
    Object.entries(options).flatMap(([name, option]) =>
      option.type === 'string' ? [`--${name}`, ...(option.short ? [`-${option.short}`] : [])] : [],
    ),
  );
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    const next = argv[i + 1];
    if (valueTokens.has(token) && next !== undefined && /^-\d/.test(next)) {
      joined.push(token.startsWith('--') ? `${token}=${next}` : `${token}${next}`);
      i++;
    } else {
      joined.push(token);
    }
  }
  return joined;
}

function parseCommandLine(command: CommandDefinition, argv: readonly string[]): ParsedInput {
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  try {
    const parsed = parseArgs({
      args: joinNegativeValues(argv, options),
      options: Object.fromEntries(
        Object.entries(options).map(([name, option]) => [
          name,
          {
            type: option.type,
            ...(option.short === undefined ? {} : { short: option.short }),
            ...(option.multiple === undefined ? {} : { multiple: option.multiple }),
          },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
    return { values: parsed.values as ParsedInput['values'], positionals: parsed.positionals };
  } catch (error) {
    if (!String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) throw error;
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(message, command.path);
  }
}

/** Global options read before the command is known (for help of a group, or the top level). */
function parseGlobals(argv: readonly string[]): { help: boolean; version: boolean } {
  return { help: argv.includes('--help') || argv.includes('-h'), version: argv.includes('--version') };
}

/** The client and admin of one run, made on first use. */
class Session {
  private sluice: Sluice | undefined;
  private adminClient: Admin | undefined;
  private cluster: Promise<ClusterDescription> | undefined;

  constructor(
    readonly bootstrapServer: string,
    readonly timeoutMs: number,
    readonly signal: AbortSignal,
  ) {}

  client(): Sluice {
    this.sluice ??= createClient({
      bootstrapServers: this.bootstrapServer,
      clientId: 'sluice-cli',
      requestTimeoutMs: Math.min(this.timeoutMs, CLI_LIMITS.REQUEST_TIMEOUT_MS),
      socketConnectionSetupTimeoutMs: Math.min(this.timeoutMs, CLI_LIMITS.CONNECT_TIMEOUT_MS),
    });
    return this.sluice;
  }

  admin(): Admin {
    this.adminClient ??= this.client().admin({ defaultApiTimeoutMs: this.timeoutMs });
    return this.adminClient;
  }

  connect(): Promise<ClusterDescription> {
    this.cluster ??= this.reach();
    return this.cluster;
  }

  private async reach(): Promise<ClusterDescription> {
    const connectTimeoutMs = Math.min(this.timeoutMs, CLI_LIMITS.CONNECT_TIMEOUT_MS);
    let targets: ProbeTarget[];
    try {
      targets = parseBootstrap(this.bootstrapServer);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    try {
      await probeBootstrap(targets, connectTimeoutMs);
    } catch (error) {
      const { message, hint } = unreachable(this.bootstrapServer, (error as Error).message);
      throw new CliError(message, hint);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const { message, hint } = unreachable(
          this.bootstrapServer,
          `no metadata within ${connectTimeoutMs} ms`,
        );
        reject(new CliError(message, hint));
      }, connectTimeoutMs);
    });
    try {
      return await Promise.race([
        this.admin().describeCluster({ timeoutMs: connectTimeoutMs, signal: this.signal }),
        timeout,
      ]);
    } catch (error) {
      if (ConnectionError.isInstance(error) || RequestTimeoutError.isInstance(error)) {
        const { message, hint } = unreachable(this.bootstrapServer, error.message);
        throw new CliError(message, hint);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.sluice?.close();
  }
}

/**
 * Runs one command line: finds the command, parses its options (exit 2 on a mistake, with a pointer to
 * its help), runs it with a context, and turns what it throws into a message and an exit code.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  signal: AbortSignal,
  version: string,
): Promise<ExitCodeValue> {
  const output = new Output(io.stdout, io.stderr, io.env);
  let bootstrapServer = io.env.SLUICE_BOOTSTRAP_SERVER || DEFAULT_BOOTSTRAP_SERVER;
  let session: Session | undefined;
  try {
    const { entry, words, rest } = resolveCommand(argv);
    const globals = parseGlobals(rest);
    if (words[0] === 'help') {
      const target = resolveCommand(argv.slice(argv.indexOf('help') + 1));
      if (target.words.length === 0) await output.line(topLevelHelp(output, TOP_LEVEL, version));
      else if (target.entry === undefined) throw unknownCommand(target.words);
      else if (target.entry.kind === 'group') await output.line(groupHelp(output, target.entry));
      else await output.line(commandHelp(output, target.entry));
      return ExitCode.ok;
    }
    if (entry === undefined) {
      if (words.length > 0) throw unknownCommand(words);
      if (globals.version) {
        await output.line(version);
        return ExitCode.ok;
      }
      await output.line(topLevelHelp(output, TOP_LEVEL, version));
      return globals.help ? ExitCode.ok : ExitCode.usage;
    }
    if (entry.kind === 'group') {
      if (words.length > 1) throw unknownCommand(words, entry);
      await output.line(groupHelp(output, entry));
      return globals.help ? ExitCode.ok : ExitCode.usage;
    }
    if (globals.help) {
      await output.line(commandHelp(output, entry));
      return ExitCode.ok;
    }
    const input = parseCommandLine(entry, rest);
    const bootstrapValue = input.values['bootstrap-server'];
    if (typeof bootstrapValue === 'string') {
      if (bootstrapValue.trim() === '')
        throw new UsageError('--bootstrap-server needs HOST:PORT', entry.path);
      bootstrapServer = bootstrapValue;
    }
    const timeoutText = input.values['timeout-ms'];
    const timeoutMs =
      typeof timeoutText === 'string'
        ? parseInteger(
            timeoutText,
            '--timeout-ms',
            { min: 1, max: 2 ** 31 - 1 },
            (message) => new UsageError(message, entry.path),
          )
        : CLI_LIMITS.DEFAULT_TIMEOUT_MS;
    const activeSession = new Session(bootstrapServer, timeoutMs, signal);
    session = activeSession;
    const context: CommandContext = {
      output,
      env: io.env,
      stdin: io.stdin,
      bootstrapServer,
      timeoutMs,
      signal,
      client: () => activeSession.client(),
      admin: () => activeSession.admin(),
      connect: () => activeSession.connect(),
    };
    await entry.run(context, input);
    return ExitCode.ok;
  } catch (error) {
    const report = describeError(error, bootstrapServer);
    output.note(`${output.errorStyle('red', 'error:')} ${report.message}`);
    if (report.hint !== undefined) output.note(`${output.errorStyle('dim', 'hint:')} ${report.hint}`);
    return report.exitCode;
  } finally {
    await session?.close().catch(() => undefined);
  }
}
