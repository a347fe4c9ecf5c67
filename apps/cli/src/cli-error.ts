/**
 * Errors the CLI raises itself. A UsageError is a mistake on the command line (exit 2) and points to the
 * command's help; a CliError is a failure to do what was asked (exit 1) and may carry a hint saying what to
 * do about it.
 */

export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(
    message: string,
    /** The command whose help to point to, e.g. ['topics', 'create']; empty for the top level. */
    readonly commandPath: readonly string[] = [],
  ) {
    super(message);
  }
}

export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    /** What the user can do about it, printed under the message. */
    readonly hint?: string,
  ) {
    super(message);
  }
}
