import { type Logger, pino } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** pino to stdout: JSON, or pretty when stdout is a terminal. */
export function createLogger(level: string, pretty = process.stdout.isTTY === true): Logger {
  if (!LEVELS.includes(level)) throw new Error(`log level must be one of ${LEVELS.join(', ')}, not ${level}`);
  return pino({
    level,
    base: { service: 'sluice-broker' },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  });
}
