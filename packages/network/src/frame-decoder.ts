import { ProtocolError } from './errors.js';

/**
 * Splits a byte stream into Kafka frames: an int32 size, then that many bytes. A frame that lies within one
 * received chunk is handed on as a view of it; one that spans chunks is copied once into its own buffer.
 */
export class FrameDecoder {
  /** Received bytes not yet handed on, in order. */
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** Size of the frame being assembled, or -1 while reading its size prefix. */
  private frameSizeBytes = -1;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: (payload: Buffer) => void,
  ) {}

  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  /** Adds received bytes; calls onFrame for each complete frame. Throws ProtocolError on a bad size. */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    for (;;) {
      if (this.frameSizeBytes < 0) {
        if (this.bufferedBytes < 4) return;
        const size = this.take(4).readInt32BE(0);
        if (size < 4 || size > this.maxFrameBytes) {
          throw new ProtocolError(
            size < 4
              ? `response frame of ${size} bytes cannot hold a header`
              : `response frame of ${size} bytes is larger than the limit of ${this.maxFrameBytes}`,
          );
        }
        this.frameSizeBytes = size;
      }
      if (this.bufferedBytes < this.frameSizeBytes) return;
      const payload = this.take(this.frameSizeBytes);
      this.frameSizeBytes = -1;
      this.onFrame(payload);
    }
  }

  /** Removes `byteCount` bytes from the front: a view when they lie in the first chunk, else a copy. */
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
