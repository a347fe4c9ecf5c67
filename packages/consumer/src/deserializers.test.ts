import { serializers } from '@sluice/producer';
import { describe, expect, it } from 'vitest';
import { deserializers } from './deserializers.js';

function bytes(value: Buffer | Uint8Array | string | null): Buffer {
  if (value === null) throw new Error('null');
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

describe('deserializers', () => {
  it("read back what the producer's serializers write", () => {
    const document = { id: 7, tags: ['a', 'ü'], nested: { ok: true, n: null } };
    expect(deserializers.json(bytes(serializers.json(document)))).toEqual(document);
    expect(deserializers.msgpack(bytes(serializers.msgpack(document)))).toEqual(document);
    expect(deserializers.string(bytes(serializers.string('héllo')))).toBe('héllo');
    const raw = Buffer.from([0, 255, 7]);
    expect(deserializers.buffer(bytes(serializers.buffer(raw)))).toEqual(raw);
  });
});
