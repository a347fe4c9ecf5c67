/** Request frames hold at least api_key, api_version (int16 each) and correlation_id (int32). */
export const MIN_REQUEST_FRAME_BYTES = 8;
/** Response frames hold at least correlation_id (int32). */
export const MIN_RESPONSE_FRAME_BYTES = 4;

export interface FrameBounds {
  /** A smaller size prefix cannot hold a header (MIN_REQUEST_FRAME_BYTES or MIN_RESPONSE_FRAME_BYTES). */
  readonly minFrameBytes: number;
  /** A larger size prefix is refused before anything is allocated. */
  readonly maxFrameBytes: number;
}

const marker = Symbol.for('sluice.protocol.FrameSizeError');

/**
 * A size prefix out of bounds: `too-small` (it cannot hold a header, or is negative) or `too-large` (above
 * the reader's limit). The stream cannot be read any further: the connection must close.
 */
export class FrameSizeError extends Error {
  readonly [marker] = true;
  override readonly name = 'FrameSizeError';

  constructor(
    readonly kind: 'too-small' | 'too-large',
    /** The size prefix as read. */
    readonly sizeBytes: number,
    readonly bounds: FrameBounds,
  ) {
    super(
      kind === 'too-small'
        ? `frame of ${sizeBytes} bytes cannot hold a header (at least ${bounds.minFrameBytes})`
        : `frame of ${sizeBytes} bytes is larger than the limit of ${bounds.maxFrameBytes}`,
    );
  }

  /** True for a FrameSizeError from any copy of this package. */
  static isInstance(value: unknown): value is FrameSizeError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

const SIZE_PREFIX_BYTES = 4;

/**
 * Splits a byte stream into Kafka frames: an int32 size, then that many bytes (a request or response
 * header, then its body). Bytes go in as they arrive (`push`), and each frame they complete goes out to
 * `onFrame` at once: a frame that lies within one received chunk as a view of it, one that spans chunks
 * copied once into its own buffer. The size prefix is checked against the bounds before anything is
 * allocated for the frame, so a hostile peer cannot make the reader allocate more than `maxFrameBytes`; a
 * prefix out of bounds is returned as a FrameSizeError, and the stream cannot be read past it.
 */
export class FrameDecoder {
  readonly bounds: FrameBounds;
  /** Received bytes not yet handed on, in order. */
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** Size of the frame being assembled, or -1 while reading its size prefix. */
  private frameSizeBytes = -1;
  /** Set once a size prefix was out of bounds: every later `push` returns it again. */
  private failure: FrameSizeError | null = null;

  constructor(bounds: FrameBounds) {
    if (
      !Number.isInteger(bounds.minFrameBytes) ||
      !Number.isInteger(bounds.maxFrameBytes) ||
      bounds.minFrameBytes < 1 ||
      bounds.maxFrameBytes < bounds.minFrameBytes
    ) {
      throw new RangeError(
        `frame bounds must be integers with 1 <= min <= max, got [${bounds.minFrameBytes}, ${bounds.maxFrameBytes}]`,
      );
    }
    this.bounds = { minFrameBytes: bounds.minFrameBytes, maxFrameBytes: bounds.maxFrameBytes };
  }

  /** Bytes received and not yet handed on as frames (a partial size prefix or frame). */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  /**
   * Adds received bytes, in stream order, and calls `onFrame` with the payload (without its size prefix)
   * of every frame they complete. Returns null, or the FrameSizeError of a size prefix out of bounds (then
   * again on every later call, without reading anything more).
   */
  push(chunk: Buffer, onFrame: (payload: Buffer) => void): FrameSizeError | null {
    if (this.failure !== null) return this.failure;
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    for (;;) {
      if (this.frameSizeBytes < 0) {
        if (this.bufferedBytes < SIZE_PREFIX_BYTES) return null;
        const size = this.take(SIZE_PREFIX_BYTES).readInt32BE(0);
        if (size < this.bounds.minFrameBytes || size > this.bounds.maxFrameBytes) {
          this.failure = new FrameSizeError(
            size < this.bounds.minFrameBytes ? 'too-small' : 'too-large',
            size,
            this.bounds,
          );
          return this.failure;
        }
        this.frameSizeBytes = size;
      }
      if (this.bufferedBytes < this.frameSizeBytes) return null;
      const payload = this.take(this.frameSizeBytes);
      this.frameSizeBytes = -1;
      onFrame(payload);
    }
  }

  /** Removes `byteCount` (> 0) bytes from the front: a view when they lie in the first chunk, else a copy. */
  private take(byteCount: number): Buffer {
    const first = this.chunks[0];
    let result: Buffer;
    if (first.length >= byteCount) {
      result = first.subarray(0, byteCount);
      if (first.length === byteCount) this.chunks.shift();
      else this.chunks[0] = first.subarray(byteCount);
    } else {
      result = Buffer.allocUnsafe(byteCount);
      let filled = 0;
      while (filled < byteCount) {
        const chunk = this.chunks[0];
        const used = Math.min(chunk.length, byteCount - filled);
        chunk.copy(result, filled, 0, used);
        filled += used;
        if (used === chunk.length) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(used);
      }
    }
    this.bufferedBytes -= byteCount;
    return result;
  }
}
