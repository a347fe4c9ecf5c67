import { describe, expect, it } from 'vitest';
import { DISTINCT_VALUES, readStamp, recordValues, stampedValue } from './payload.js';

describe('record values', () => {
  it('are the same bytes for the same seed and different bytes for another seed', () => {
    const first = recordValues(100, 7);
    const again = recordValues(100, 7);
    const other = recordValues(100, 8);
    expect(first).toHaveLength(DISTINCT_VALUES);
    expect(first.every((value) => value.length === 100)).toBe(true);
    expect(Buffer.concat(first).equals(Buffer.concat(again))).toBe(true);
    expect(Buffer.concat(first).equals(Buffer.concat(other))).toBe(false);
  });

  it('do not compress: random bytes, not a repeated pattern', async () => {
    const { gzipSync } = await import('node:zlib');
    const bytes = Buffer.concat(recordValues(1024, 1));
    expect(gzipSync(bytes).length).toBeGreaterThan(bytes.length * 0.95);
  });

  it('carry a send time and a sequence number that a consumer reads back, leaving the template untouched', () => {
    const template = recordValues(100, 1)[0];
    const before = Buffer.from(template);
    const sentAtNs = process.hrtime.bigint();
    const stamped = stampedValue(template, 123_456, sentAtNs);
    expect(readStamp(stamped)).toEqual({ sentAtNs, sequence: 123_456 });
    expect(stamped.length).toBe(100);
    expect(template.equals(before)).toBe(true);
    const view = new Uint8Array(stamped.buffer, stamped.byteOffset, stamped.length);
    expect(readStamp(view).sequence).toBe(123_456);
  });
});
