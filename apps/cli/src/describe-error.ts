import {
  ConnectionError,
  ErrorCode,
  InvalidOptionError,
  KafkaError,
  type LocatedKafkaError,
  RequestTimeoutError,
  TopicMetadataTimeoutError,
} from '@sluice/client';
import { CliError, UsageError } from './cli-error.js';
import { ExitCode, type ExitCodeValue } from './exit-code.js';

export interface ErrorReport {
  readonly message: string;
  readonly hint?: string;
  readonly exitCode: ExitCodeValue;
}

/** What to suggest for a broker error code, by code. */
const KAFKA_HINTS: ReadonlyMap<number, string> = new Map([
  [
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    'see the topics with `sluice topics list`, or create it with `sluice topics create <topic>`',
  ],
  [ErrorCode.TOPIC_ALREADY_EXISTS, 'pass --if-not-exists to accept an existing topic'],
  [
    ErrorCode.INVALID_PARTITIONS,
    'partitions only grow: give a total above the current count (see `sluice topics describe <topic>`)',
  ],
  [
    ErrorCode.INVALID_REPLICATION_FACTOR,
    'the replication factor cannot exceed the number of brokers (see `sluice cluster describe`)',
  ],
  [
    ErrorCode.INVALID_CONFIG,
    'check the config name and value (see `sluice configs get --topic <topic>` for the current ones)',
  ],
  [
    ErrorCode.INVALID_TOPIC_EXCEPTION,
    'topic names use letters, digits, ".", "_" and "-", at most 249 characters',
  ],
  [
    ErrorCode.NON_EMPTY_GROUP,
    "stop the group's consumers, then try again (see its members with `sluice groups describe <group>`)",
  ],
  [ErrorCode.GROUP_ID_NOT_FOUND, 'see the groups with `sluice groups list`'],
  [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 'stop the consumers subscribed to the topic first'],
  [
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
    'the broker does not serve consumer groups yet, or is starting: try again shortly',
  ],
  [ErrorCode.UNSUPPORTED_VERSION, 'the broker does not serve this request at a version sluice speaks'],
  [ErrorCode.POLICY_VIOLATION, 'the broker refused the change by policy'],
  [ErrorCode.RECORD_LIST_TOO_LARGE, 'send smaller records, or raise max.message.bytes on the topic'],
  [ErrorCode.MESSAGE_TOO_LARGE, 'send smaller records, or raise max.message.bytes on the topic'],
  [ErrorCode.TOPIC_DELETION_DISABLED, 'the broker has delete.topic.enable=false'],
]);

/** Turns any error a command threw into what to print and the exit code. */
export function describeError(error: unknown, bootstrapServer: string): ErrorReport {
  if (error instanceof UsageError) {
    const command = ['sluice', ...error.commandPath].join(' ');
    return { message: error.message, hint: `see \`${command} --help\``, exitCode: ExitCode.usage };
  }
  if (error instanceof CliError)
    return { message: error.message, hint: error.hint, exitCode: ExitCode.failure };
  if (InvalidOptionError.isInstance(error)) {
    return { message: error.message, exitCode: ExitCode.usage };
  }
  if (ConnectionError.isInstance(error) || RequestTimeoutError.isInstance(error)) {
    return { ...unreachable(bootstrapServer, error.message), exitCode: ExitCode.failure };
  }
  if (error instanceof TopicMetadataTimeoutError) {
    return {
      message: `topic ${error.topic} does not exist, and the broker did not create it (${(error.cause as Error | undefined)?.message ?? 'no metadata'})`,
      hint: `create it with \`sluice topics create ${error.topic}\``,
      exitCode: ExitCode.failure,
    };
  }
  if (KafkaError.isInstance(error)) {
    const location = (error as LocatedKafkaError).location;
    const detail = error.message.startsWith(`${location}: `)
      ? error.message.slice(location.length + 2)
      : error.message;
    return {
      message: `${error.errorName}${location ? ` at ${location}` : ''}: ${detail}`,
      hint: KAFKA_HINTS.get(error.code),
      exitCode: ExitCode.failure,
    };
  }
  if (error instanceof AggregateError) {
    const parts = error.errors.map((inner) => describeError(inner, bootstrapServer));
    const hints = [...new Set(parts.map((part) => part.hint).filter((hint) => hint !== undefined))];
    return {
      message: parts.map((part) => part.message).join('\n'),
      hint: hints.length > 0 ? hints.join('\n') : undefined,
      exitCode: ExitCode.failure,
    };
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return { message: 'interrupted', exitCode: ExitCode.interrupted };
  }
  if (error instanceof RangeError || error instanceof TypeError) {
    return { message: error.message, exitCode: ExitCode.failure };
  }
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    // A system error (ENOENT opening an input file, EPIPE, ...).
    return { message: error.message, exitCode: ExitCode.failure };
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { message: `unexpected error: ${message}`, exitCode: ExitCode.failure };
}

/** The message for a cluster that does not answer. */
export function unreachable(bootstrapServer: string, detail: string): { message: string; hint: string } {
  return {
    message: `cannot reach ${bootstrapServer}: is a broker running? (${detail})`,
    hint: 'start one with `pnpm start`, or point --bootstrap-server (or SLUICE_BOOTSTRAP_SERVER) at a running broker',
  };
}
