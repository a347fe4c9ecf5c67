import { connect, type Socket } from 'node:net';
import { type ApiDefinition, decodeResponseFrame, encodeRequestFrame, type Input } from '@sluice/protocol';

/**
 * A bare Kafka protocol client for tests: sends frames built with the generated codec (or raw bytes) over
 * one socket and reads size-prefixed responses in order.
 */
export class RawClient {
  private buffered = Buffer.alloc(0);
  private waiters: { resolve: (frame: Buffer) => void; reject: (error: Error) => void }[] = [];
  private correlationId = 1;
  private ended: Error | null = null;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        this.waiters.shift()?.resolve(frame);
      }
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = new Error('connection closed');
        for (const waiter of this.waiters.splice(0)) waiter.reject(this.ended);
        resolve();
      });
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes bytes as they are. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next response frame (without its size prefix). */
  nextFrame(): Promise<Buffer> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async request<Request, Response>(
    api: ApiDefinition<Request, Response>,
    version: number,
    body: Input<Request>,
  ): Promise<Response> {
    const correlationId = this.correlationId++;
    const response = this.nextFrame();
    for (const chunk of encodeRequestFrame(api, version, correlationId, 'sluice-test', body))
      this.socket.write(chunk);
    const decoded = decodeResponseFrame(api, version, await response);
    if (decoded.correlationId !== correlationId) {
      throw new Error(`correlation id ${decoded.correlationId}, expected ${correlationId}`);
    }
    return decoded.body;
  }

  close(): void {
    this.socket.destroy();
  }
}
