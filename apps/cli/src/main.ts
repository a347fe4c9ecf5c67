#!/usr/bin/env node
import { runCli } from './cli.js';
import { ExitCode } from './exit-code.js';

declare const SLUICE_CLI_VERSION: string;

// The client logs only errors unless asked otherwise: a CLI's stderr is for people.
process.env.SLUICE_LOG_LEVEL ??= 'error';

const interrupt = new AbortController();
let signals = 0;
const onSignal = () => {
  signals++;
  // The first signal stops the command cleanly (a follower flushes and reports); a second one exits at once.
  if (signals > 1) process.exit(ExitCode.interrupted);
  interrupt.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// A reader of our output that goes away (`sluice consume t | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.ok);
  throw error;
});

// Hold the process open until the command is done, whatever the client is waiting on at the moment.
const keepAlive = setInterval(() => undefined, 2 ** 30);
const exitCode = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env },
  interrupt.signal,
  SLUICE_CLI_VERSION,
);
clearInterval(keepAlive);
process.exitCode = exitCode;
// Exit once stdout and stderr are written out, even if a handle (stdin on a terminal) is still open.
let pending = 2;
const done = () => {
  if (--pending === 0) process.exit(exitCode);
};
process.stdout.write('', done);
process.stderr.write('', done);
