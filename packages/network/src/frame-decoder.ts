import { MIN_RESPONSE_FRAME_BYTES, FrameDecoder as ProtocolFrameDecoder } from '@sluice/protocol';
import { ProtocolError } from './errors.js';

/**
 * A client connection's response frames: the byte stream is split by @sluice/protocol's FrameDecoder (a
 * frame within one received chunk is handed on as a view of it; one that spans chunks is copied once), and
 * each complete frame goes to `onFrame` as soon as it is whole.
 */
export class FrameDecoder {
  private readonly frames: ProtocolFrameDecoder;

  constructor(
    maxFrameBytes: number,
    private readonly onFrame: (payload: Buffer) => void,
  ) {
    this.frames = new ProtocolFrameDecoder({ minFrameBytes: MIN_RESPONSE_FRAME_BYTES, maxFrameBytes });
  }

  get pendingBytes(): number {
    return this.frames.pendingBytes;
  }

  /**
   * Adds received bytes; calls onFrame for each complete frame. Throws ProtocolError on a size prefix too
   * small for a response header or above the limit (checked before anything is allocated for the frame);
   * the stream cannot be read past it.
   */
  push(chunk: Buffer): void {
    const failure = this.frames.push(chunk, this.onFrame);
    if (failure !== null) throw new ProtocolError(`response ${failure.message}`, { cause: failure });
  }
}
