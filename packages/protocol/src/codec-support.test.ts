import { describe, expect, it } from 'vitest';
import { TaggedFieldsWriter, writeTaggedFields } from './codec-support.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/** The (tag, data) pairs of a tagged-field section. */
function readSection(bytes: Buffer): { tag: number; data: number[] }[] {
  const reader = new Reader(bytes);
  const count = reader.uvarint();
  return Array.from({ length: count }, () => {
    const tag = reader.uvarint();
    return { tag, data: [...reader.raw(reader.uvarint())] };
  });
}

const field = (tag: number, ...data: number[]) => ({ tag, data: Buffer.from(data) });

describe('tagged-field sections', () => {
  it('writes unknown fields in ascending tag order, whatever order they came in', () => {
    const writer = new Writer(16);
    writeTaggedFields(writer, [field(7, 1), field(2, 2), field(4, 3)]);
    expect(readSection(writer.toBuffer())).toEqual([
      { tag: 2, data: [2] },
      { tag: 4, data: [3] },
      { tag: 7, data: [1] },
    ]);
    const empty = new Writer(4);
    writeTaggedFields(empty, undefined);
    expect([...empty.toBuffer()]).toEqual([0]);
  });

  it('merges known fields with unknown ones in tag order, and counts them all', () => {
    const writer = new Writer(16);
    const tags = new TaggedFieldsWriter(writer, 'Probe', [field(5, 50), field(0, 0), field(3, 30)], 2);
    tags.known(1, 'alpha', Buffer.of(10));
    tags.known(4, 'beta', Buffer.of(40));
    tags.finish();
    expect(readSection(writer.toBuffer()).map((entry) => entry.tag)).toEqual([0, 1, 3, 4, 5]);
  });

  it('refuses a tag that is both a known field and an unknown one', () => {
    const tags = new TaggedFieldsWriter(new Writer(16), 'Probe', [field(1, 9)], 1);
    expect(() => tags.known(1, 'alpha', Buffer.of(10))).toThrow(
      'Probe: tag 1 is both alpha and an unknown tagged field',
    );
  });
});
