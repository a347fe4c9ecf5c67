import { connect, type Socket } from 'node:net';
import { type ApiDefinition, decodeResponseFrame, encodeRequestFrame, type Input } from '../../src/index.js';

/**
 * The smallest Kafka client the interop tests need: one socket, requests answered in order, each framed
 * and decoded with the generated codecs.
 */
export class KafkaConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly waiting: { resolve: (payload: Buffer) => void; reject: (error: Error) => void }[] = [];
  private correlationId = 0;
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static open(host: string, port: number): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => {
        socket.off('error', reject);
        resolve(new KafkaConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const payload = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      this.waiting.shift()?.resolve(payload);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }

  async request<Request, Response>(
    api: ApiDefinition<Request, Response>,
    version: number,
    body: Input<Request>,
  ): Promise<Response> {
    if (this.failure) throw this.failure;
    const correlationId = ++this.correlationId;
    const payload = new Promise<Buffer>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.socket.write(Buffer.concat(encodeRequestFrame(api, version, correlationId, 'sluice-interop', body)));
    const response = decodeResponseFrame(api, version, await payload);
    if (response.correlationId !== correlationId) {
      throw new Error(`response for ${response.correlationId}, expected ${correlationId}`);
    }
    return response.body;
  }

  close(): void {
    this.socket.destroy();
  }
}
