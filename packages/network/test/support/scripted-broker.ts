import { createServer, type Server, type Socket } from 'node:net';
import { type ApiDefinition, apiByKey, decodeRequestFrame, encodeResponseFrame } from '@sluice/protocol';
import { FrameDecoder } from '../../src/frame-decoder.js';

/**
 * A TCP server that speaks just enough Kafka for the connection tests: it decodes each request and lets
 * the test decide what to answer (a body, raw bytes, nothing, or closing the socket). It stands in for a
 * broker that misbehaves in ways a real one cannot be made to.
 */
export type Reply =
  | { kind: 'body'; body: unknown; version?: number }
  | { kind: 'raw'; bytes: Buffer }
  | { kind: 'silence' }
  | { kind: 'close' };

export interface ReceivedRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly body: unknown;
  readonly api: ApiDefinition<unknown, unknown>;
}

export const DEFAULT_API_VERSIONS = [...apiByKey.values()].map((api) => ({
  apiKey: api.apiKey,
  minVersion: 0,
  maxVersion: api.flexibleMinVersion === null ? api.maxVersion : api.flexibleMinVersion - 1,
}));

export class ScriptedBroker {
  readonly received: ReceivedRequest[] = [];
  readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly respond: (request: ReceivedRequest) => Reply | Promise<Reply>,
  ) {}

  static async start(respond: (request: ReceivedRequest) => Reply | Promise<Reply>): Promise<ScriptedBroker> {
    const server = createServer();
    const broker = new ScriptedBroker(server, respond);
    server.on('connection', (socket) => broker.accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return broker;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return address.port;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let chain = Promise.resolve();
    const decoder = new FrameDecoder(64 * 1024 * 1024, (payload) => {
      const decoded = decodeRequestFrame(payload);
      const request: ReceivedRequest = {
        apiKey: decoded.header.requestApiKey,
        apiVersion: decoded.header.requestApiVersion,
        correlationId: decoded.header.correlationId,
        clientId: decoded.header.clientId,
        body: decoded.body,
        api: decoded.api,
      };
      this.received.push(request);
      // Answer in arrival order, as a broker must.
      const replied = Promise.resolve(this.respond(request));
      chain = chain.then(async () => {
        const reply = await replied;
        if (socket.destroyed) return;
        if (reply.kind === 'close') socket.destroy();
        else if (reply.kind === 'raw') socket.write(reply.bytes);
        else if (reply.kind === 'body') {
          for (const chunk of encodeResponseFrame(
            request.api,
            reply.version ?? request.apiVersion,
            request.correlationId,
            reply.body as never,
          )) {
            socket.write(chunk);
          }
        }
      });
    });
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The usual answer to the ApiVersions handshake. */
export function apiVersionsReply(apiKeys = DEFAULT_API_VERSIONS): Reply {
  return { kind: 'body', body: { errorCode: 0, apiKeys, throttleTimeMs: 0 } };
}
