import type { Socket } from 'node:net';
import { FrameDecoder, MIN_REQUEST_FRAME_BYTES } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { ConnectionCloseReason } from './connection-close-reason.js';

/** Thrown by a request handler to close the connection it came on (malformed or unsupported request). */
export class CloseConnection extends Error {
  override readonly name = 'CloseConnection';

  constructor(
    /** The `reason` label the close is counted under. */
    readonly reason: ConnectionCloseReason,
    /** What was wrong, for the log line only. */
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

/** What a request turns into: the response frame's chunks, or null when the protocol wants no response. */
export type RequestResult = Buffer[] | null;

export interface ConnectionOptions {
  readonly id: number;
  /** socket.request.max.bytes: a larger size prefix closes the connection before anything is allocated. */
  readonly maxRequestBytes: number;
  /** queued.max.requests: requests in progress before the connection stops reading. */
  readonly maxInFlightRequests: number;
  readonly idleTimeoutMs: number;
  readonly logger: Logger;
  readonly handle: (connection: Connection, frame: Buffer) => Promise<RequestResult>;
  readonly onBytesIn: (bytes: number) => void;
  readonly onBytesOut: (bytes: number) => void;
  readonly onClose: (connection: Connection, reason: ConnectionCloseReason) => void;
}

/** A request in progress; responses leave in the order requests arrived. */
interface Slot {
  done: boolean;
  result: RequestResult;
}

/**
 * One client connection: splits the byte stream into size-prefixed frames, starts each request as it
 * arrives, and writes the responses strictly in arrival order (pipelining), corked so that a response made
 * of several buffers (fetch data) goes out in one vectored write.
 *
 * Back-pressure: the connection stops reading while `maxInFlightRequests` requests are in progress or the
 * socket's write buffer is over its high-water mark, and reads again when both clear.
 */
export class Connection {
  readonly id: number;
  readonly remoteAddress: string;
  private readonly socket: Socket;
  private readonly options: ConnectionOptions;
  /** Splits the received bytes into request frames, refusing a size prefix out of bounds. */
  private readonly frames: FrameDecoder;
  /** Requests in arrival order whose responses have not been written yet. */
  private readonly slots: Slot[] = [];
  private closed = false;
  private paused = false;

  constructor(socket: Socket, options: ConnectionOptions) {
    this.socket = socket;
    this.options = options;
    this.id = options.id;
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    this.frames = new FrameDecoder({
      minFrameBytes: MIN_REQUEST_FRAME_BYTES,
      maxFrameBytes: options.maxRequestBytes,
    });
    socket.setNoDelay(true);
    socket.setTimeout(options.idleTimeoutMs, () => {
      if (this.slots.length === 0) this.close('idle');
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.updateFlow());
    socket.on('error', (error) => {
      options.logger.debug({ err: error, connection: this.id }, 'socket error');
    });
    socket.on('close', () => {
      if (!this.closed) {
        this.closed = true;
        options.onClose(this, 'client');
      }
    });
  }

  get inFlightRequests(): number {
    return this.slots.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(reason: ConnectionCloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.options.logger.debug(
      { connection: this.id, remote: this.remoteAddress, reason },
      'closing connection',
    );
    this.socket.destroy();
    this.options.onClose(this, reason);
  }

  /** Resolves when every request already received has been answered (for a clean shutdown). */
  async drain(): Promise<void> {
    while (this.slots.length > 0 && !this.closed) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.options.onBytesIn(chunk.length);
    const failure = this.frames.push(chunk, (frame) => {
      if (!this.closed) this.dispatch(frame);
    });
    if (failure !== null) {
      const tooSmall = failure.kind === 'too-small';
      this.options.logger.warn(
        {
          connection: this.id,
          remote: this.remoteAddress,
          sizeBytes: failure.sizeBytes,
          maxBytes: this.options.maxRequestBytes,
        },
        tooSmall
          ? 'request frame too small to hold a header'
          : 'request frame larger than socket.request.max.bytes',
      );
      this.close(tooSmall ? 'malformed_frame' : 'frame_too_large');
      return;
    }
    this.updateFlow();
  }

  private dispatch(frame: Buffer): void {
    const slot: Slot = { done: false, result: null };
    this.slots.push(slot);
    this.options.handle(this, frame).then(
      (result) => {
        slot.done = true;
        slot.result = result;
        this.flushResponses();
      },
      (error: unknown) => {
        if (error instanceof CloseConnection) {
          this.options.logger.info(
            { connection: this.id, remote: this.remoteAddress, reason: error.reason, detail: error.detail },
            'closing connection after a bad request',
          );
          this.close(error.reason);
        } else {
          this.options.logger.error({ err: error, connection: this.id }, 'request failed unexpectedly');
          this.close('error');
        }
      },
    );
  }

  private flushResponses(): void {
    if (this.closed) return;
    let corked = false;
    while (this.slots.length > 0 && this.slots[0].done) {
      const slot = this.slots.shift()!;
      if (slot.result === null) continue;
      if (!corked) {
        this.socket.cork();
        corked = true;
      }
      let bytes = 0;
      for (const chunk of slot.result) {
        this.socket.write(chunk);
        bytes += chunk.length;
      }
      this.options.onBytesOut(bytes);
    }
    if (corked) this.socket.uncork();
    this.updateFlow();
  }

  /** Pauses reading while too many requests are in progress or the peer is not reading its responses. */
  private updateFlow(): void {
    if (this.closed) return;
    const shouldPause =
      this.slots.length >= this.options.maxInFlightRequests || this.socket.writableNeedDrain;
    if (shouldPause && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!shouldPause && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }
}
