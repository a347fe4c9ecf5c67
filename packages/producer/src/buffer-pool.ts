import { ClientClosedError, type Clock, type TimerHandle } from '@sluice/network';
import { BufferExhaustedError } from './errors.js';

interface Waiter {
  readonly sizeBytes: number;
  readonly resolve: (buffer: Buffer) => void;
  readonly reject: (error: Error) => void;
  timer: TimerHandle | null;
}

/**
 * The producer's memory for records not yet acknowledged: at most `totalBytes` (buffer.memory) are handed
 * out at once. Buffers of exactly `poolableBytes` (batch.size) are kept on a free list and reused; other
 * sizes are allocated and forgotten, only their bytes being counted.
 *
 * When there is no room, `allocate` waits, first come first served, until enough is given back or
 * `maxBlockMs` passes, then rejects with BufferExhaustedError. Nothing is ever dropped to make room.
 *
 * Invariant: availableBytes = nonPooledAvailableBytes + free.length * poolableBytes, and
 * 0 <= availableBytes <= totalBytes.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  /** Bytes not handed out and not on the free list. */
  private nonPooledAvailableBytes: number;
  /** Callers waiting for room, in arrival order. */
  private readonly waiters: Waiter[] = [];
  private closed = false;

  constructor(
    readonly totalBytes: number,
    readonly poolableBytes: number,
    private readonly clock: Clock,
  ) {
    if (!(poolableBytes > 0 && poolableBytes <= totalBytes)) {
      throw new RangeError(`poolable size ${poolableBytes} must be in (0, ${totalBytes}]`);
    }
    this.nonPooledAvailableBytes = totalBytes;
  }

  get availableBytes(): number {
    return this.nonPooledAvailableBytes + this.free.length * this.poolableBytes;
  }

  get waitingCallers(): number {
    return this.waiters.length;
  }

  /** A buffer of `sizeBytes` now, or null when there is no room or others are already waiting for it. */
  tryAllocate(sizeBytes: number): Buffer | null {
    if (this.waiters.length > 0 || this.closed) return null;
    return this.take(sizeBytes);
  }

  private take(sizeBytes: number): Buffer | null {
    if (sizeBytes === this.poolableBytes && this.free.length > 0) return this.free.pop()!;
    if (this.availableBytes < sizeBytes) return null;
    // Free pooled buffers until the unpooled bytes cover the request.
    while (this.nonPooledAvailableBytes < sizeBytes) {
      this.free.pop();
      this.nonPooledAvailableBytes += this.poolableBytes;
    }
    this.nonPooledAvailableBytes -= sizeBytes;
    return Buffer.allocUnsafeSlow(sizeBytes);
  }

  /**
   * A buffer of `sizeBytes`, waiting up to `maxBlockMs` for room. Rejects at once when the size can never
   * fit, with BufferExhaustedError after the wait, or with the signal's reason.
   */
  allocate(sizeBytes: number, maxBlockMs: number, signal?: AbortSignal): Promise<Buffer> {
    if (sizeBytes > this.totalBytes) {
      return Promise.reject(
        new RangeError(`${sizeBytes} bytes can never fit in a ${this.totalBytes}-byte pool`),
      );
    }
    if (this.closed) return Promise.reject(new ClientClosedError('the producer is closed'));
    const now = this.tryAllocate(sizeBytes);
    if (now !== null) return Promise.resolve(now);
    return new Promise<Buffer>((resolve, reject) => {
      const waiter: Waiter = { sizeBytes, resolve, reject, timer: null };
      const remove = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        if (waiter.timer !== null) this.clock.clearTimeout(waiter.timer);
        // The head may have changed: the next waiter may fit now.
        this.serveWaiters();
      };
      waiter.timer = this.clock.setTimeout(() => {
        waiter.timer = null;
        remove();
        reject(new BufferExhaustedError(sizeBytes, maxBlockMs, this.totalBytes));
      }, maxBlockMs);
      if (signal) {
        if (signal.aborted) {
          remove();
          reject(signal.reason);
          return;
        }
        signal.addEventListener(
          'abort',
          () => {
            if (!this.waiters.includes(waiter)) return;
            remove();
            reject(signal.reason);
          },
          { once: true },
        );
      }
      this.waiters.push(waiter);
    });
  }

  /** Gives back a buffer from this pool (`sizeBytes` defaults to its length). */
  deallocate(buffer: Buffer, sizeBytes = buffer.length): void {
    if (sizeBytes === this.poolableBytes && buffer.length === this.poolableBytes) this.free.push(buffer);
    else this.nonPooledAvailableBytes += sizeBytes;
    if (this.availableBytes > this.totalBytes) {
      throw new Error(`buffer pool holds ${this.availableBytes} bytes, more than its ${this.totalBytes}`);
    }
    this.serveWaiters();
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      const head = this.waiters[0];
      const buffer = this.take(head.sizeBytes);
      if (buffer === null) return;
      this.waiters.shift();
      if (head.timer !== null) this.clock.clearTimeout(head.timer);
      head.resolve(buffer);
    }
  }

  /** Fails every waiter (the producer is closing). */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.timer !== null) this.clock.clearTimeout(waiter.timer);
      waiter.reject(new ClientClosedError('the producer is closed'));
    }
  }
}
