/**
 * One system's standard Node client, reduced to what the measurements need. A destination is a topic
 * (Sluice), a durable queue (RabbitMQ), a stream with its subject (NATS JetStream) or a stream key (Redis).
 */
export interface ClientDriver {
  /** Creates the destination, empty (it must not exist yet). */
  create(destination: string): Promise<void>;
  /** Sends `values` and resolves once every one is acknowledged at the durability the report states. */
  send(destination: string, values: readonly Buffer[]): Promise<void>;
  /**
   * Reads the destination from its start, calling `onValue` for each record in order, until `onValue`
   * returns true (done) or `signal` aborts. Resolves when reading has stopped.
   */
  consume(
    destination: string,
    onValue: (value: Uint8Array) => boolean,
    signal: AbortSignal,
    ready?: () => void,
  ): Promise<void>;
  /** Deletes the destination and what it holds. */
  remove(destination: string): Promise<void>;
  close(): Promise<void>;
}

/** Which clients the drivers speak with, for the report. */
export type DriverSystem = 'sluice' | 'rabbitmq' | 'nats' | 'redis';
