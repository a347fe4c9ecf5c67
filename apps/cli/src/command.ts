import type { Readable } from 'node:stream';
import type { Admin, ClusterDescription, Sluice } from '@sluice/client';
import type { Output } from './output.js';

/** One option of a command, as node:util parseArgs reads it, with what its help says. */
export interface OptionDefinition {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** May be given more than once (values collect into a list). */
  readonly multiple?: boolean;
  /** The value's placeholder in the help, e.g. `N` or `KEY=VALUE`. */
  readonly value?: string;
  readonly description: string;
  /** The default as the help shows it. */
  readonly defaultText?: string;
}

export interface PositionalDefinition {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
  /** Takes every remaining argument. */
  readonly variadic?: boolean;
}

export interface Example {
  readonly command: string;
  readonly description: string;
}

/** What a command receives: its options by long name, and its positional arguments. */
export interface ParsedInput {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

/** What every command runs with. */
export interface CommandContext {
  readonly output: Output;
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: Readable;
  /** host:port[,host:port...] from --bootstrap-server, SLUICE_BOOTSTRAP_SERVER or the default. */
  readonly bootstrapServer: string;
  /** How long one admin operation may take, retries included (--timeout-ms). */
  readonly timeoutMs: number;
  /** Aborted on SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The one client of this run (made on first use, closed when the command ends). */
  client(): Sluice;
  admin(): Admin;
  /**
   * Reaches the cluster (one Metadata request), failing fast with a message that says what to do when no
   * broker answers. Every command that talks to the cluster calls it first.
   */
  connect(): Promise<ClusterDescription>;
}

/** A command that runs: `sluice produce`, `sluice topics create`, ... */
export interface CommandDefinition {
  readonly kind: 'command';
  /** The words that name it, e.g. ['topics', 'create']. */
  readonly path: readonly string[];
  readonly summary: string;
  /** More paragraphs for the help, after the summary. */
  readonly description?: string;
  readonly positionals?: readonly PositionalDefinition[];
  readonly options: Readonly<Record<string, OptionDefinition>>;
  readonly examples: readonly Example[];
  run(context: CommandContext, input: ParsedInput): Promise<void>;
}

/** A word that groups commands: `sluice topics`, `sluice groups`, ... */
export interface CommandGroup {
  readonly kind: 'group';
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  readonly commands: readonly CommandDefinition[];
  readonly examples: readonly Example[];
}

export type TopLevelEntry = CommandDefinition | CommandGroup;

/** Options every command takes. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionDefinition>> = {
  'bootstrap-server': {
    type: 'string',
    short: 'b',
    value: 'HOST:PORT',
    description: 'the broker(s) to connect to, comma-separated (env SLUICE_BOOTSTRAP_SERVER)',
    defaultText: '127.0.0.1:9092',
  },
  'timeout-ms': {
    type: 'string',
    value: 'MS',
    description: 'how long an operation on the cluster may take, retries included',
    defaultText: '30000',
  },
  help: { type: 'boolean', short: 'h', description: 'show help for the command' },
};

export const DEFAULT_BOOTSTRAP_SERVER = '127.0.0.1:9092';
