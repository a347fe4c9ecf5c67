import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from './config/config-definition.js';
import { parseProperties } from './config/properties.js';
import { LOG_LEVELS } from './logger.js';

export const USAGE = `Usage: sluice-broker [options]

Starts a Sluice broker: a Kafka-protocol server (kcat, kafkajs and other Kafka clients work with it).

Options:
  --host HOST          address to listen on (default 127.0.0.1)
  --port PORT          Kafka port (default 9092)
  --data-dir DIR       where logs and metadata live: log.dirs (default ./data)
  --node-id ID         this broker's id: node.id (default 1)
  --config FILE        a server.properties file with Kafka's key names
  --set KEY=VALUE      one config key (repeatable; wins over --config and the flags above)
  --log-level LEVEL    fatal, error, warn, info, debug, trace or silent (default info; env SLUICE_LOG_LEVEL)
  --help               this text

Config keys (Kafka's names): listeners, advertised.listeners, log.dirs, num.partitions,
auto.create.topics.enable, log.retention.hours, log.segment.bytes, message.max.bytes, min.insync.replicas,
log.flush.interval.messages, socket.request.max.bytes, connections.max.idle.ms, max.connections,
metrics.port (HTTP /metrics and /healthz, default 9404; -1 turns it off), ... An unknown key or a bad value
stops the start with a message naming it.

Examples:
  sluice-broker
  sluice-broker --port 9093 --data-dir /var/lib/sluice --set num.partitions=6
  sluice-broker --config server.properties --set log.flush.interval.messages=1`;

export interface CliOptions {
  readonly help: boolean;
  readonly logLevel: string;
  /** Config keys in precedence order already applied: file, then flags, then --set. */
  readonly properties: Map<string, string>;
}

/** Parses the command line into broker properties; throws a ConfigError with a message for the user. */
export function parseCliOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new ConfigError('arguments', `${(error as Error).message}\n\n${USAGE}`);
  }
  const { values } = parsed;
  const properties = new Map<string, string>();
  if (values.config !== undefined) {
    let text: string;
    try {
      text = readFileSync(values.config, 'utf8');
    } catch (error) {
      throw new ConfigError(
        '--config',
        `Cannot read config file ${values.config}: ${(error as Error).message}`,
      );
    }
    for (const [key, value] of parseProperties(text)) properties.set(key, value);
  }
  if (values.host !== undefined || values.port !== undefined) {
    const current = /^(?:PLAINTEXT:\/\/)?(.*):(\d+)$/.exec((properties.get('listeners') ?? '').split(',')[0]);
    const host = values.host ?? current?.[1] ?? '127.0.0.1';
    const port = values.port ?? current?.[2] ?? '9092';
    if (!/^\d+$/.test(port))
      throw new ConfigError('--port', `--port must be a number, not ${JSON.stringify(port)}.`);
    properties.set('listeners', `PLAINTEXT://${host}:${port}`);
  }
  if (values['data-dir'] !== undefined) properties.set('log.dirs', values['data-dir']);
  if (values['node-id'] !== undefined) properties.set('node.id', values['node-id']);
  for (const assignment of values.set ?? []) {
    const equals = assignment.indexOf('=');
    if (equals <= 0)
      throw new ConfigError('--set', `--set needs KEY=VALUE, not ${JSON.stringify(assignment)}.`);
    properties.set(assignment.slice(0, equals).trim(), assignment.slice(equals + 1));
  }
  const logLevel = values['log-level'] ?? env.SLUICE_LOG_LEVEL ?? 'info';
  if (values.help !== true && !LOG_LEVELS.includes(logLevel)) {
    const source = values['log-level'] !== undefined ? '--log-level' : 'SLUICE_LOG_LEVEL';
    throw new ConfigError(
      source,
      `Invalid ${source} ${JSON.stringify(logLevel)}: must be one of ${LOG_LEVELS.join(', ')}.`,
    );
  }
  return { help: values.help ?? false, logLevel, properties };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'node-id': { type: 'string' },
      config: { type: 'string' },
      set: { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
