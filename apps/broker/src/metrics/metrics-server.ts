import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { BrokerMetrics } from './broker-metrics.js';

/** The HTTP side port: `/metrics` in Prometheus text format and `/healthz` (200 while serving, 503 after). */
export class MetricsServer {
  private readonly server: Server;
  private boundPort = -1;

  constructor(
    metrics: BrokerMetrics,
    isHealthy: () => boolean,
    private readonly logger: Logger,
  ) {
    this.server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else if (path === '/metrics') {
        response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        response.end(metrics.registry.render());
      } else if (path === '/healthz') {
        const healthy = isHealthy();
        response.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain' });
        response.end(healthy ? 'ok\n' : 'shutting down\n');
      } else {
        response
          .writeHead(404, { 'content-type': 'text/plain' })
          .end('not found: try /metrics or /healthz\n');
      }
    });
    this.server.on('error', (error) => this.logger.error({ err: error }, 'metrics server error'));
  }

  get port(): number {
    return this.boundPort;
  }

  async start(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : port;
    return this.boundPort;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
