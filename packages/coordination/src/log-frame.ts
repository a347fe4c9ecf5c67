import { crc32c } from '@sluice/protocol';

/**
 * A frame of the coordination files:
 *
 *   length   u32 big-endian   bytes of payload
 *   crc      u32 big-endian   CRC-32C of the length field followed by the payload
 *   payload  `length` bytes   one msgpackr-encoded record
 *
 * The CRC covers the length too, so a damaged length is caught like a damaged payload.
 */
export const FRAME_HEADER_BYTES = 8;

export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.byteLength);
  frame.writeUInt32BE(payload.byteLength, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  frame.writeUInt32BE(frameCrc(frame, 0, payload.byteLength), 4);
  return frame;
}

function frameCrc(bytes: Uint8Array, start: number, payloadBytes: number): number {
  const lengthCrc = crc32c(bytes, start, start + 4);
  return crc32c(bytes, start + FRAME_HEADER_BYTES, start + FRAME_HEADER_BYTES + payloadBytes, lengthCrc);
}

export type FrameRead =
  | { type: 'frame'; payload: Buffer; end: number }
  | { type: 'end' }
  | { type: 'torn'; reason: string };

/** Reads the frame at `offset` of `bytes`: a whole valid frame, the clean end, or why the rest is unusable. */
export function readFrame(bytes: Buffer, offset: number, payloadBytesMax: number): FrameRead {
  if (offset === bytes.length) return { type: 'end' };
  if (bytes.length - offset < FRAME_HEADER_BYTES) return { type: 'torn', reason: 'incomplete frame header' };
  const payloadBytes = bytes.readUInt32BE(offset);
  if (payloadBytes > payloadBytesMax) {
    return { type: 'torn', reason: `frame length ${payloadBytes} is above the limit of ${payloadBytesMax}` };
  }
  const end = offset + FRAME_HEADER_BYTES + payloadBytes;
  if (end > bytes.length) return { type: 'torn', reason: 'incomplete frame payload' };
  if (frameCrc(bytes, offset, payloadBytes) !== bytes.readUInt32BE(offset + 4)) {
    return { type: 'torn', reason: 'frame CRC mismatch' };
  }
  return { type: 'frame', payload: bytes.subarray(offset + FRAME_HEADER_BYTES, end), end };
}
