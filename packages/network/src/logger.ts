import { type Logger, pino } from 'pino';

/**
 * The logger used when the application passes none: pino at level `warn` (or SLUICE_LOG_LEVEL) to stderr,
 * so a library never writes to the application's stdout.
 */
export function defaultLogger(name: string): Logger {
  return pino(
    { name, level: process.env.SLUICE_LOG_LEVEL ?? 'warn' },
    pino.destination({ dest: 2, sync: true }),
  );
}
