import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.js';
import { FrameDecoder } from './frame-decoder.js';

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

describe('FrameDecoder', () => {
  it('yields the same frames however the stream is split into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 4, maxLength: 300 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 50 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((payload) => frame(Buffer.from(payload))));
          const received: Buffer[] = [];
          const decoder = new FrameDecoder(1024, (payload) => received.push(Buffer.from(payload)));
          let offset = 0;
          let cut = 0;
          while (offset < stream.length) {
            const size = cuts[cut++ % cuts.length];
            decoder.push(stream.subarray(offset, offset + size));
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

  it('hands on a frame that lies within one chunk as a view, without copying', () => {
    const stream = frame(Buffer.from('abcdefgh'));
    let received: Buffer | null = null;
    new FrameDecoder(1024, (payload) => {
      received = payload;
    }).push(stream);
    expect(received!.buffer).toBe(stream.buffer);
  });

  it('refuses a size prefix above the limit before allocating, and one too small for a header', () => {
    const decoder = new FrameDecoder(1024, () => {});
    const big = Buffer.alloc(4);
    big.writeInt32BE(1025);
    expect(() => decoder.push(big)).toThrow(ProtocolError);
    const small = Buffer.alloc(4);
    small.writeInt32BE(-1);
    expect(() => new FrameDecoder(1024, () => {}).push(small)).toThrow(/cannot hold a header/);
  });
});
