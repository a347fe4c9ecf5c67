import { createServer, type Server, type Socket } from 'node:net';
import { Connection, type ConnectionOptions } from './connection.js';
import type { ConnectionCloseReason } from './connection-close-reason.js';

/** The listener's own options, and those it passes on to every connection. */
export interface SocketServerOptions
  extends Pick<
    ConnectionOptions,
    'maxRequestBytes' | 'idleTimeoutMs' | 'logger' | 'handle' | 'onBytesIn' | 'onBytesOut'
  > {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  readonly maxInFlightRequestsPerConnection: number;
  readonly onConnectionClosed: (reason: ConnectionCloseReason) => void;
}

/**
 * The Kafka listener: accepts TCP connections up to `max.connections` (more are closed at once) and hands
 * each to a Connection. `stop` closes the listening socket, waits for requests in progress, then closes every
 * connection.
 */
export class SocketServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  private boundPort = 0;

  constructor(private readonly options: SocketServerOptions) {
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (error) => options.logger.error({ err: error }, 'listener error'));
  }

  async start(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.options.host, port: this.options.port, backlog: 1024 }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('listener has no TCP address');
    this.boundPort = address.port;
    return { host: address.address, port: address.port };
  }

  get port(): number {
    return this.boundPort;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.options.maxConnections) {
      this.options.logger.warn(
        {
          remote: `${socket.remoteAddress}:${socket.remotePort}`,
          maxConnections: this.options.maxConnections,
        },
        'refusing a connection over max.connections',
      );
      this.options.onConnectionClosed('max_connections');
      socket.destroy();
      return;
    }
    const connection = new Connection(socket, {
      id: this.nextConnectionId++,
      maxRequestBytes: this.options.maxRequestBytes,
      maxInFlightRequests: this.options.maxInFlightRequestsPerConnection,
      idleTimeoutMs: this.options.idleTimeoutMs,
      logger: this.options.logger,
      handle: this.options.handle,
      onBytesIn: this.options.onBytesIn,
      onBytesOut: this.options.onBytesOut,
      onClose: (closed, reason) => {
        this.connections.delete(closed);
        this.options.onConnectionClosed(reason);
      },
    });
    this.connections.add(connection);
  }

  /** Stops accepting, lets requests in progress finish (up to `timeoutMs`), then closes every connection. */
  async stop(timeoutMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([
      Promise.all([...this.connections].map((connection) => connection.drain())),
      deadline,
    ]);
    for (const connection of [...this.connections]) connection.close('shutdown');
    await closed;
  }
}
