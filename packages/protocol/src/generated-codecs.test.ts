import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldSchema, MessageSchema, VersionSpan } from './codec-support.js';
import { DecodeError } from './decode-error.js';
import * as protocol from './generated/index.js';
import { messageSchemas } from './generated/schemas.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

type Encoder = (writer: Writer, version: number, message: unknown) => void;
type Decoder = (reader: Reader, version: number) => Record<string, unknown>;
const exported = protocol as unknown as Record<string, unknown>;

function inSpan(span: VersionSpan, version: number): boolean {
  return span !== null && version >= span[0] && version <= span[1];
}

function versionsOf(schema: MessageSchema): number[] {
  const [min, max] = schema.valid!;
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

const int = (min: number, max: number) => fc.integer({ min, max });

function scalar(type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return int(-128, 127);
    case 'int16':
      return int(-32768, 32767);
    case 'uint16':
      return int(0, 65535);
    case 'int32':
      return fc.integer();
    case 'uint32':
      return int(0, 0xffffffff);
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double({ noNaN: true });
    case 'string':
      return fc.string({ maxLength: 12, unit: 'grapheme' });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes));
    case 'uuid':
      return fc.uuid();
    default:
      throw new Error(`no arbitrary for ${type}`);
  }
}

/** Values of a struct at one version: only the fields present in that version are set. */
function structArbitrary(
  fields: readonly FieldSchema[],
  version: number,
): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of fields) {
    if (!inSpan(field.versions, version)) continue;
    let value = field.type === 'struct' ? structArbitrary(field.fields!, version) : scalar(field.type);
    if (field.array) value = fc.array(value, { maxLength: 3 });
    if (inSpan(field.nullable, version) || (field.type === 'records' && !field.array)) {
      value = fc.option(value, { nil: null });
    }
    shape[field.name] = value;
  }
  return fc.record(shape);
}

/** What decoding returns for a value: the fields the version carries, ignoring the bookkeeping of tags. */
function comparable(value: unknown, fields: readonly FieldSchema[], version: number): unknown {
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (!inSpan(field.versions, version)) continue;
    let item = record[field.name];
    if (field.type === 'struct' && item !== null) {
      item = field.array
        ? (item as unknown[]).map((element) => comparable(element, field.fields!, version))
        : comparable(item, field.fields!, version);
    }
    if (Buffer.isBuffer(item)) item = item.toString('hex');
    out[field.name] = item;
  }
  return out;
}

function codecs(schema: MessageSchema): { encode: Encoder; decode: Decoder } {
  return {
    encode: exported[`encode${schema.name}`] as Encoder,
    decode: exported[`decode${schema.name}`] as Decoder,
  };
}

describe('generated codecs', () => {
  it('cover every message in the schemas', () => {
    expect(messageSchemas.length).toBeGreaterThanOrEqual(56);
    for (const schema of messageSchemas) {
      const { encode, decode } = codecs(schema);
      expect(typeof encode, schema.name).toBe('function');
      expect(typeof decode, schema.name).toBe('function');
    }
  });

  for (const schema of messageSchemas) {
    it(`${schema.name} round-trips at every version ${schema.valid![0]}-${schema.valid![1]}`, () => {
      const { encode, decode } = codecs(schema);
      for (const version of versionsOf(schema)) {
        fc.assert(
          fc.property(structArbitrary(schema.fields, version), (message) => {
            const writer = new Writer(16);
            encode(writer, version, message);
            const bytes = writer.toBuffer();
            const reader = new Reader(bytes);
            const decoded = decode(reader, version);
            expect(reader.remaining).toBe(0);
            expect(comparable(decoded, schema.fields, version)).toEqual(
              comparable(message, schema.fields, version),
            );
            const again = new Writer(16);
            encode(again, version, decoded);
            expect(again.toBuffer().equals(bytes)).toBe(true);
          }),
          { seed: 20261126 + version, numRuns: 25 },
        );
      }
    });
  }

  it('write the defaults of fields the caller leaves out', () => {
    const writer = new Writer();
    protocol.encodeFetchRequest(writer, 11, { topics: [{ topic: 't', partitions: [{ partition: 0 }] }] });
    const decoded = protocol.decodeFetchRequest(new Reader(writer.toBuffer()), 11);
    expect(decoded.replicaId).toBe(-1);
    expect(decoded.maxBytes).toBe(0x7fffffff);
    expect(decoded.isolationLevel).toBe(0);
    expect(decoded.topics[0].partitions[0].logStartOffset).toBe(-1n);
    expect(decoded.topics[0].partitions[0].currentLeaderEpoch).toBe(-1);
  });

  it('keep tagged fields they do not know and write them back', () => {
    const writer = new Writer();
    protocol.encodeApiVersionsRequest(writer, 3, {
      clientSoftwareName: 'sluice',
      clientSoftwareVersion: '1.0',
      unknownTaggedFields: [{ tag: 7, data: Buffer.from('abc') }],
    });
    const bytes = writer.toBuffer();
    const decoded = protocol.decodeApiVersionsRequest(new Reader(bytes), 3);
    expect(decoded.unknownTaggedFields).toEqual([{ tag: 7, data: Buffer.from('abc') }]);
    const again = new Writer();
    protocol.encodeApiVersionsRequest(again, 3, decoded);
    expect(again.toBuffer()).toEqual(bytes);
  });

  it('write a tagged field only when it differs from its default', () => {
    const plain = new Writer();
    protocol.encodeApiVersionsResponse(plain, 3, { apiKeys: [] });
    const tagged = new Writer();
    protocol.encodeApiVersionsResponse(tagged, 3, { apiKeys: [], finalizedFeaturesEpoch: 5n });
    const plainBytes = plain.toBuffer();
    const taggedBytes = tagged.toBuffer();
    expect(taggedBytes.length).toBeGreaterThan(plainBytes.length);
    expect(plainBytes[plainBytes.length - 1]).toBe(0); // no tagged fields
    expect(protocol.decodeApiVersionsResponse(new Reader(taggedBytes), 3).finalizedFeaturesEpoch).toBe(5n);
    expect(protocol.decodeApiVersionsResponse(new Reader(plainBytes), 3).finalizedFeaturesEpoch).toBe(-1n);
  });

  it('refuse null where a version does not allow it', () => {
    expect(() => protocol.encodeMetadataRequest(new Writer(), 0, { topics: null })).toThrow(TypeError);
    const writer = new Writer();
    protocol.encodeMetadataRequest(writer, 1, { topics: null });
    expect(protocol.decodeMetadataRequest(new Reader(writer.toBuffer()), 1).topics).toBeNull();
  });
});

describe('decoders fed bad bytes', () => {
  const samples = messageSchemas.flatMap((schema) =>
    versionsOf(schema).map((version) => ({ schema, version })),
  );

  it('fail with a DecodeError and nothing else, on random bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.uint8Array({ maxLength: 200 }),
        ({ schema, version }, bytes) => {
          const { decode } = codecs(schema);
          try {
            decode(new Reader(Buffer.from(bytes)), version);
          } catch (error) {
            expect(DecodeError.isInstance(error), String(error)).toBe(true);
          }
        },
      ),
      { seed: 7, numRuns: 20000 },
    );
  });

  it('fail with a DecodeError and nothing else, on truncated and mutated valid messages', () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom(...samples)
          .chain(({ schema, version }) =>
            fc.tuple(
              fc.constant({ schema, version }),
              structArbitrary(schema.fields, version),
              fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
              fc.nat(),
            ),
          ),
        ([{ schema, version }, message, mutations, cut]) => {
          const { encode, decode } = codecs(schema);
          const writer = new Writer();
          encode(writer, version, message);
          const bytes = Buffer.from(writer.toBuffer());
          for (const [position, value] of mutations)
            if (bytes.length > 0) bytes[position % bytes.length] = value;
          const truncated = bytes.subarray(0, bytes.length === 0 ? 0 : cut % (bytes.length + 1));
          for (const input of [bytes, truncated]) {
            try {
              decode(new Reader(input), version);
            } catch (error) {
              expect(DecodeError.isInstance(error), String(error)).toBe(true);
            }
          }
        },
      ),
      { seed: 11, numRuns: 5000 },
    );
  });

  it('refuse an array count larger than the bytes left before allocating for it', () => {
    const bytes = Buffer.alloc(12);
    bytes.writeInt32BE(0x7fffffff, 0); // topics: 2^31-1 elements in 8 bytes
    expect(() => protocol.decodeMetadataRequest(new Reader(bytes), 1)).toThrow(
      /array of 2147483647 elements/,
    );
  });
});
