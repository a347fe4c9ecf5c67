import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  FrameSizeError,
  MIN_REQUEST_FRAME_BYTES,
  MIN_RESPONSE_FRAME_BYTES,
} from './frame-decoder.js';

function sizePrefix(sizeBytes: number): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(sizeBytes);
  return size;
}

function frame(payload: Buffer): Buffer {
  return Buffer.concat([sizePrefix(payload.length), payload]);
}

/** Pushes a chunk; returns copies of the frames it completed, and the error if it returned one. */
function push(decoder: FrameDecoder, chunk: Buffer): { frames: Buffer[]; error: FrameSizeError | null } {
  const frames: Buffer[] = [];
  const error = decoder.push(chunk, (payload) => frames.push(Buffer.from(payload)));
  return { frames, error };
}

describe('FrameDecoder', () => {
  it('yields the same frames however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 8, maxLength: 300 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 50 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((payload) => frame(Buffer.from(payload))));
          const decoder = new FrameDecoder({ minFrameBytes: MIN_REQUEST_FRAME_BYTES, maxFrameBytes: 1024 });
          const received: Buffer[] = [];
          let offset = 0;
          let cut = 0;
          while (offset < stream.length) {
            const size = cuts[cut++ % cuts.length];
            const { frames, error } = push(decoder, stream.subarray(offset, offset + size));
            expect(error).toBeNull();
            received.push(...frames);
            offset += size;
          }
          expect(received.map((payload) => payload.toString('hex'))).toEqual(
            payloads.map((payload) => Buffer.from(payload).toString('hex')),
          );
          expect(decoder.pendingBytes).toBe(0);
        },
      ),
    );
  });

  it('hands on a frame that lies within one chunk as a view of it, without copying', () => {
    const stream = frame(Buffer.from('abcdefgh'));
    const decoder = new FrameDecoder({ minFrameBytes: MIN_RESPONSE_FRAME_BYTES, maxFrameBytes: 1024 });
    const received: Buffer[] = [];
    expect(decoder.push(stream, (payload) => received.push(payload))).toBeNull();
    expect(received).toHaveLength(1);
    expect(received[0].buffer).toBe(stream.buffer);
    expect(received[0].toString()).toBe('abcdefgh');
  });

  it('waits for the rest of a frame, holding what arrived as pending bytes', () => {
    const decoder = new FrameDecoder({ minFrameBytes: MIN_REQUEST_FRAME_BYTES, maxFrameBytes: 1024 });
    const stream = frame(Buffer.from('0123456789'));
    expect(push(decoder, stream.subarray(0, 2)).frames).toEqual([]);
    expect(push(decoder, stream.subarray(2, 9)).frames).toEqual([]);
    expect(decoder.pendingBytes).toBe(5);
    expect(push(decoder, stream.subarray(9)).frames.map(String)).toEqual(['0123456789']);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('refuses a size prefix above the limit from its 4 bytes alone, and keeps refusing', () => {
    const decoder = new FrameDecoder({ minFrameBytes: MIN_REQUEST_FRAME_BYTES, maxFrameBytes: 1024 });
    const { error } = push(decoder, sizePrefix(1025));
    expect(error).toBeInstanceOf(FrameSizeError);
    expect(error).toMatchObject({ kind: 'too-large', sizeBytes: 1025 });
    expect(error?.message).toMatch(/larger than the limit of 1024/);
    expect(decoder.pendingBytes).toBe(0);
    expect(push(decoder, frame(Buffer.alloc(16)))).toEqual({ frames: [], error });
  });

  it('refuses a size prefix too small for a header, and a negative one', () => {
    for (const sizeBytes of [MIN_REQUEST_FRAME_BYTES - 1, 0, -1, -(2 ** 31)]) {
      const decoder = new FrameDecoder({ minFrameBytes: MIN_REQUEST_FRAME_BYTES, maxFrameBytes: 1024 });
      const { error } = push(decoder, sizePrefix(sizeBytes));
      expect(FrameSizeError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ kind: 'too-small', sizeBytes });
    }
  });

  it('takes frames of exactly the limit and of exactly the minimum', () => {
    const decoder = new FrameDecoder({ minFrameBytes: MIN_RESPONSE_FRAME_BYTES, maxFrameBytes: 64 });
    const { frames } = push(decoder, Buffer.concat([frame(Buffer.alloc(64, 1)), frame(Buffer.alloc(4, 2))]));
    expect(frames.map((payload) => payload.length)).toEqual([64, 4]);
  });

  it('rejects bounds that cannot describe a frame', () => {
    expect(() => new FrameDecoder({ minFrameBytes: 10, maxFrameBytes: 4 })).toThrow(RangeError);
    expect(() => new FrameDecoder({ minFrameBytes: 0, maxFrameBytes: 4 })).toThrow(RangeError);
  });
});
