import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecordBatch } from './record-batch.js';
import {
  BatchLayout,
  CURRENT_MAGIC,
  LOG_OVERHEAD_BYTES,
  RECORD_BATCH_HEADER_BYTES,
} from './record-batch-header.js';
import {
  appendRecord,
  type RecordField,
  recordBodyBytes,
  recordFieldBytes,
  recordHeadersBytes,
  varintBytes,
  varlongBytes,
  writeVarint,
  writeVarlong,
} from './record-encoding.js';
import { Writer } from './writer.js';

const field: fc.Arbitrary<RecordField> = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.uint8Array({ maxLength: 40 }),
);

function asBuffer(value: RecordField): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

describe('record encoding', () => {
  it('writes varints and varlongs as the Writer does, in the bytes it sized', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.maxSafeInteger().filter((value) => Math.abs(value) <= Number.MAX_SAFE_INTEGER / 2),
        (int32, safe) => {
          const buffer = Buffer.alloc(16);
          const varintEnd = writeVarint(buffer, 0, int32);
          expect(varintEnd).toBe(varintBytes(int32));
          expect(buffer.subarray(0, varintEnd)).toEqual(new Writer(16).varint(int32).toBuffer());
          const varlongEnd = writeVarlong(buffer, 0, safe);
          expect(varlongEnd).toBe(varlongBytes(safe));
          expect(buffer.subarray(0, varlongEnd)).toEqual(new Writer(16).varlongNumber(safe).toBuffer());
        },
      ),
    );
  });

  it('appends a record in exactly the bytes it sized, or nothing when it does not fit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.nat(100_000),
        field,
        field,
        fc.option(
          fc.array(fc.record({ key: fc.string({ maxLength: 10 }), value: field }), { maxLength: 4 }),
          {
            nil: null,
          },
        ),
        (timestampDelta, offsetDelta, key, value, headers) => {
          const keyBytes = recordFieldBytes(key);
          const valueBytes = recordFieldBytes(value);
          const headersBytes = recordHeadersBytes(headers);
          const body = recordBodyBytes(timestampDelta, offsetDelta, keyBytes, valueBytes, headersBytes);
          const append = (buffer: Buffer) =>
            appendRecord(
              buffer,
              RECORD_BATCH_HEADER_BYTES,
              timestampDelta,
              offsetDelta,
              key,
              keyBytes,
              value,
              valueBytes,
              headers,
              headersBytes,
            );
          // One byte short: refused, and the buffer is left as it was.
          const short = Buffer.alloc(RECORD_BATCH_HEADER_BYTES + varintBytes(body) + body - 1);
          expect(append(short)).toBe(-1);
          expect(short.every((byte) => byte === 0)).toBe(true);
          // One record behind a batch header, so that the batch decoder can read it back.
          const buffer = Buffer.alloc(short.length + 1);
          expect(append(buffer)).toBe(buffer.length);
          buffer.writeInt32BE(buffer.length - LOG_OVERHEAD_BYTES, BatchLayout.BATCH_LENGTH);
          buffer[BatchLayout.MAGIC] = CURRENT_MAGIC;
          buffer.writeInt32BE(1, BatchLayout.RECORD_COUNT);
          buffer.writeBigInt64BE(1_000_000_000n, BatchLayout.BASE_TIMESTAMP);
          const [record] = decodeRecordBatch(buffer, 0, { verifyCrc: false }).records;
          expect(record).toMatchObject({
            offsetDelta,
            timestampDelta,
            key: asBuffer(key),
            value: asBuffer(value),
            headers: (headers ?? []).map((header) => ({ key: header.key, value: asBuffer(header.value) })),
          });
        },
      ),
    );
  });
});
