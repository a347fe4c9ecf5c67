import { fileURLToPath } from 'node:url';
import {
  type BrokerProcess,
  kcat as kcatAgainst,
  startBrokerProcess as startProcess,
  startSluiceBroker,
} from '@sluice/test-support';
import { Broker } from '../src/broker.js';
import { resolveBrokerConfig } from '../src/config/broker-config.js';

/** The built broker (`pnpm --filter @sluice/broker build` first; the test script's turbo task does it). */
export const BROKER_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/**
 * A broker in this process, from the source under test, on an ephemeral port with its own data directory
 * and its metrics listener on an ephemeral port too.
 */
export function startBroker(settings: Record<string, string> = {}) {
  return startSluiceBroker({ Broker, resolveBrokerConfig }, { 'metrics.port': '0', ...settings });
}

/**
 * `node dist/main.js --data-dir <dataDir> ...args` as a child process (for restarts, signals and kill -9),
 * metrics on an ephemeral port; resolves once it serves.
 */
export function startBrokerProcess(dataDir: string, args: readonly string[] = []): Promise<BrokerProcess> {
  return startProcess({ mainPath: BROKER_MAIN, dataDir, settings: { 'metrics.port': '0' }, args });
}

/** kcat against `bootstrap`, asking for API versions, failing on a non-zero exit. */
export function kcat(bootstrap: string, args: readonly string[], input?: string | Buffer): Promise<Buffer> {
  return kcatAgainst(bootstrap, ['-X', 'api.version.request=true', ...args], input);
}
