/** What `sluice` exits with. */
export const ExitCode = {
  /** The command did what it was asked. */
  ok: 0,
  /** The command ran and failed: the broker refused, could not be reached, or the input was bad. */
  failure: 1,
  /** The command line was wrong: an unknown command or option, a missing or malformed value. */
  usage: 2,
  /** Interrupted (SIGINT or SIGTERM) before it finished, for commands that do not stop cleanly on a signal. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
