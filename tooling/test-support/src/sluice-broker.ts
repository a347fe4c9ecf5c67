import { type Logger, pino } from 'pino';
import { removeDirectory, temporaryDirectory } from './temporary-directory.js';

/** What a test needs of a started broker. */
export interface StartedBroker {
  readonly port: number;
  shutdown(): Promise<void>;
}

/**
 * How to start a broker in this process: @sluice/broker's exports (`import * as sluiceBroker from
 * '@sluice/broker'`), or the broker's own tests' imports of its source. Passed in, because the broker's
 * tests use this package too.
 */
export interface BrokerModule<Config, Broker extends StartedBroker> {
  readonly resolveBrokerConfig: (properties: ReadonlyMap<string, string>) => Config;
  readonly Broker: { start(config: Config, logger: Logger): Promise<Broker> };
}

export interface InProcessBroker<Broker extends StartedBroker> {
  readonly broker: Broker;
  /** 127.0.0.1:port */
  readonly bootstrap: string;
  readonly dataDir: string;
  /** Shuts the broker down and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * A broker in this process on an ephemeral port of 127.0.0.1, with its own data directory and no metrics
 * listener unless `settings` (Kafka's config keys) say otherwise. It logs nothing unless
 * SLUICE_TEST_LOG_LEVEL names a level.
 */
export async function startSluiceBroker<Config, Broker extends StartedBroker>(
  module: BrokerModule<Config, Broker>,
  settings: Readonly<Record<string, string>> = {},
): Promise<InProcessBroker<Broker>> {
  const dataDir = temporaryDirectory('sluice-broker-');
  try {
    const config = module.resolveBrokerConfig(
      new Map(
        Object.entries({
          listeners: 'PLAINTEXT://127.0.0.1:0',
          'log.dirs': dataDir,
          'metrics.port': '-1',
          ...settings,
        }),
      ),
    );
    const broker = await module.Broker.start(config, testLogger());
    return {
      broker,
      bootstrap: `127.0.0.1:${broker.port}`,
      dataDir,
      async stop() {
        await broker.shutdown();
        removeDirectory(dataDir);
      },
    };
  } catch (error) {
    removeDirectory(dataDir);
    throw error;
  }
}

/** A pino logger at SLUICE_TEST_LOG_LEVEL (silent by default), for code under test. */
function testLogger(): Logger {
  return pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });
}
