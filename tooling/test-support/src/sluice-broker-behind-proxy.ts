import {
  type BrokerModule,
  type InProcessBroker,
  type StartedBroker,
  startSluiceBroker,
} from './sluice-broker.js';
import { TcpProxy } from './tcp-proxy.js';

export interface BrokerBehindProxy<Broker extends StartedBroker> extends InProcessBroker<Broker> {
  /** Between the clients and the broker: cut or hold its connections to inject faults. */
  readonly proxy: TcpProxy;
}

/**
 * A broker in this process (see startSluiceBroker) that advertises a TcpProxy's address, so that clients
 * which learn brokers from metadata connect through the proxy. `bootstrap` is still the broker's own
 * address; stop() stops both.
 */
export async function startSluiceBrokerBehindProxy<Config, Broker extends StartedBroker>(
  module: BrokerModule<Config, Broker>,
  settings: Readonly<Record<string, string>> = {},
): Promise<BrokerBehindProxy<Broker>> {
  const proxy = await TcpProxy.start();
  let started: InProcessBroker<Broker>;
  try {
    started = await startSluiceBroker(module, {
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}`,
      ...settings,
    });
  } catch (error) {
    await proxy.stop();
    throw error;
  }
  proxy.setTarget('127.0.0.1', started.broker.port);
  return {
    ...started,
    proxy,
    async stop() {
      await started.stop();
      await proxy.stop();
    },
  };
}
