/** A server the harness started for one system, on loopback, with a data directory of its own. */
export interface RunningServer {
  /** What clients connect to: host:port (Kafka, Redis) or a URL (AMQP, NATS). */
  readonly endpoint: string;
  readonly version: string;
  readonly pid: number;
  readonly dataDir: string;
  /** Stops the server (and only it) and removes its data directory. */
  stop(): Promise<void>;
}
