import { type Logger, pino } from 'pino';

/** The levels `--log-level` and SLUICE_LOG_LEVEL take (pino's). */
export const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** pino to stdout: JSON, or pretty when stdout is a terminal. `level` is one of LOG_LEVELS. */
export function createLogger(level: string, pretty = process.stdout.isTTY === true): Logger {
  if (!LOG_LEVELS.includes(level)) {
    throw new Error(`log level must be one of ${LOG_LEVELS.join(', ')}, not ${level}`);
  }
  return pino({
    level,
    base: { service: 'sluice-broker' },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  });
}
