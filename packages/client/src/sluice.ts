import { Admin, type AdminOptions } from '@sluice/admin';
import { Consumer, type ConsumerOptions } from '@sluice/consumer';
import {
  ClientClosedError,
  type Clock,
  defaultLogger,
  type Logger,
  type NetworkOptions,
  networkOptionRelations,
  networkOptionTable,
  type RandomSource,
  resolveOptions,
} from '@sluice/network';
import { Producer, type ProducerOptions } from '@sluice/producer';

/** What every producer, consumer and admin made by one client shares. */
export interface ClientOptions extends NetworkOptions {
  logger?: Logger;
  clock?: Clock;
  random?: RandomSource;
}

type Without<Options, Shared> = Omit<Options, keyof Shared> & Partial<Shared>;

/**
 * One entry point to a Kafka cluster (Sluice or any broker speaking these versions): makes producers,
 * consumers and admins that share the bootstrap servers, client id, timeouts, backoffs and logger given
 * here, each free to override any of them. `close()` closes everything it made.
 *
 * Shared options are validated when the client is created, so a bad bootstrap list or timeout fails at
 * once rather than at the first producer.
 */
export class Sluice {
  readonly options: Readonly<ClientOptions>;
  private readonly logger: Logger;
  private readonly made = new Set<{ close(): Promise<void> }>();
  private closed = false;

  constructor(options: ClientOptions) {
    const { logger, clock, random, ...network } = options;
    resolveOptions(networkOptionTable, network, networkOptionRelations);
    this.logger = logger ?? defaultLogger('sluice');
    this.options = { ...options, logger: this.logger };
  }

  producer<Key = Buffer | string | null, Value = Buffer | string | null>(
    options: Without<ProducerOptions<Key, Value>, ClientOptions> = {},
  ): Producer<Key, Value> {
    return this.track(
      new Producer<Key, Value>({ ...this.options, ...options } as ProducerOptions<Key, Value>),
    );
  }

  consumer<Key = Buffer, Value = Buffer>(
    options: Without<ConsumerOptions<Key, Value>, ClientOptions> = {},
  ): Consumer<Key, Value> {
    return this.track(
      new Consumer<Key, Value>({ ...this.options, ...options } as ConsumerOptions<Key, Value>),
    );
  }

  admin(options: Without<AdminOptions, ClientOptions> = {}): Admin {
    return this.track(new Admin({ ...this.options, ...options } as AdminOptions));
  }

  /** Closes every producer (flushing it), consumer and admin this client made. */
  async close(): Promise<void> {
    this.closed = true;
    const made = [...this.made];
    this.made.clear();
    await Promise.all(made.map((client) => client.close()));
  }

  private track<Made extends { close(): Promise<void> }>(client: Made): Made {
    if (this.closed) {
      void client.close();
      throw new ClientClosedError('the Sluice client is closed');
    }
    this.made.add(client);
    return client;
  }
}

/** Same as `new Sluice(options)`. */
export function createClient(options: ClientOptions): Sluice {
  return new Sluice(options);
}
