import { crc32 as crc32Ieee } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cImplementation, crc32cPortable } from './crc32c.js';

const implementations = [
  ['crc32c', crc32c],
  ['crc32cPortable', crc32cPortable],
] as const;

/** The iSCSI SCSI Read (10) command PDU of RFC 3720, appendix B.4. */
const ISCSI_READ_COMMAND_PDU = Buffer.from(
  '01c00000000000000000000000000000' +
    '14000000000004000000001400000018' +
    '28000000000000000200000000000000',
  'hex',
);

/** Published CRC-32C values: the catalogue check value, and RFC 3720 appendix B.4. */
const VECTORS: { name: string; bytes: Buffer; crc: number }[] = [
  { name: '"123456789" (check value)', bytes: Buffer.from('123456789'), crc: 0xe3069283 },
  { name: '32 bytes of zeros', bytes: Buffer.alloc(32), crc: 0x8a9136aa },
  { name: '32 bytes of 0xff', bytes: Buffer.alloc(32, 0xff), crc: 0x62a8ab43 },
  {
    name: '32 incrementing bytes',
    bytes: Buffer.from(Array.from({ length: 32 }, (_, i) => i)),
    crc: 0x46dd794e,
  },
  {
    name: '32 decrementing bytes',
    bytes: Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)),
    crc: 0x113fdb5c,
  },
  { name: 'an iSCSI read command PDU', bytes: ISCSI_READ_COMMAND_PDU, crc: 0xd9963a56 },
  { name: 'no bytes', bytes: Buffer.alloc(0), crc: 0 },
];

describe('CRC-32C', () => {
  for (const [name, crc] of implementations) {
    for (const vector of VECTORS) {
      it(`${name} gives the published value for ${vector.name}`, () => {
        expect(crc(vector.bytes)).toBe(vector.crc);
      });
    }
  }

  it('uses the native implementation when @node-rs/crc32 loads', () => {
    // The package is a regular dependency with prebuilt binaries for the platforms CI runs on.
    expect(crc32cImplementation).toBe('native');
  });

  it('is not the IEEE CRC-32 that zlib computes', () => {
    expect(crc32Ieee(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32c(Buffer.from('123456789'))).not.toBe(crc32Ieee(Buffer.from('123456789')));
  });

  it('native and portable agree on any bytes and range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (b % (bytes.length - start + 1));
        const buffer = Buffer.from(bytes);
        expect(crc32c(buffer, start, end)).toBe(crc32cPortable(buffer, start, end));
        expect(crc32c(buffer, start, end)).toBe(crc32cPortable(buffer.subarray(start, end)));
      }),
      { seed: 32, numRuns: 2000 },
    );
  });

  for (const [name, crc] of implementations) {
    it(`${name} continues a checksum across pieces`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (bytes, cut) => {
          const buffer = Buffer.from(bytes);
          const split = buffer.length === 0 ? 0 : cut % (buffer.length + 1);
          const first = crc(buffer, 0, split);
          expect(crc(buffer, split, buffer.length, first)).toBe(crc(buffer));
          expect(crc(buffer.subarray(split), 0, buffer.length - split, first)).toBe(crc(buffer));
        }),
        { seed: 33, numRuns: 1000 },
      );
    });

    it(`${name} reads a Uint8Array view at its own offset, not its backing store's`, () => {
      const backing = new Uint8Array(64).map((_, i) => i * 7);
      const view = new Uint8Array(backing.buffer, 9, 40);
      expect(crc(view)).toBe(crc32cPortable(Buffer.from(backing.subarray(9, 49))));
      expect(crc(view, 5, 20)).toBe(crc32cPortable(Buffer.from(backing.subarray(14, 29))));
    });
  }
});
