#!/usr/bin/env -S node --initial-old-space-size=64
import { Broker } from './broker.js';
import { parseCliOptions, USAGE } from './cli-options.js';
import { resolveBrokerConfig } from './config/broker-config.js';
import { ConfigError } from './config/config-definition.js';
import { createLogger } from './logger.js';
import { missingNodeFlags } from './node-flags.js';

async function main(): Promise<number> {
  let options: ReturnType<typeof parseCliOptions>;
  let config: ReturnType<typeof resolveBrokerConfig>;
  try {
    options = parseCliOptions(process.argv.slice(2));
    if (options.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    config = resolveBrokerConfig(options.properties);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sluice-broker: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger(options.logLevel);
  const missing = missingNodeFlags();
  if (missing.length > 0) {
    logger.warn(
      { missing },
      'node was started without the broker’s flags: expect a full garbage collection every ~100 ms under load; run dist/main.js itself, or give node these flags',
    );
  }
  let broker: Broker;
  try {
    broker = await Broker.start(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'the broker could not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
    return 1;
  }
  return new Promise<number>((resolve) => {
    let signals = 0;
    const stop = (signal: string) => {
      signals++;
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: exiting without a clean shutdown');
        resolve(1);
        return;
      }
      logger.info({ signal }, 'signal received');
      broker.shutdown().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

main().then(
  (code) => {
    // Give pino's transport a moment to write the last lines.
    setTimeout(() => process.exit(code), 50);
  },
  (error: unknown) => {
    process.stderr.write(`sluice-broker: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
