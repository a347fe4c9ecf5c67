import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between clients and a broker, for fault injection: it can cut every connection at once (as
 * a broker that drops them would) and hold new data (as a stalled broker would). Point the broker's
 * advertised listener at the proxy so that clients reconnect through it.
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private target: { host: string; port: number } | null = null;
  private held = false;
  private readonly heldPairs: (() => void)[] = [];
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(server: Server) {
    this.server = server;
  }

  /** Listens on an ephemeral port of 127.0.0.1; `setTarget` says where to forward. */
  static async start(): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server);
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy is not listening');
    return address.port;
  }

  get openConnections(): number {
    return this.pairs.size;
  }

  setTarget(host: string, port: number): void {
    this.target = { host, port };
  }

  private accept(client: Socket): void {
    this.accepted++;
    if (this.target === null) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    const wire = () => {
      client.pipe(upstream);
      upstream.pipe(client);
    };
    if (this.held) this.heldPairs.push(wire);
    else wire();
  }

  /** Cuts every open connection, both ways. */
  dropConnections(): number {
    const count = this.pairs.size;
    for (const { client, upstream } of [...this.pairs]) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    return count;
  }

  /** Stops forwarding new connections' bytes (existing ones are cut) until `release`. */
  hold(): void {
    this.held = true;
    this.dropConnections();
  }

  release(): void {
    this.held = false;
    for (const wire of this.heldPairs.splice(0)) wire();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
