import { execFileSync } from 'node:child_process';
import { crc32 as crc32Ieee } from 'node:zlib';
import { nativeAvailable, nativeCrc32c, nativeCrc32cTable } from '@sluice/native';
import { CRC32C_VECTORS } from '@sluice/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cImplementation, crc32cPortable } from './crc32c.js';

type Crc32c = (bytes: Uint8Array, start?: number, end?: number, crc?: number) => number;

/** The addon's two methods (the CPU's instructions and its tables), when it loaded. */
function nativeImplementationsOf(
  best: typeof nativeCrc32c,
  table: typeof nativeCrc32cTable,
): [string, Crc32c][] {
  if (best === null || table === null) return [];
  return [
    ['@sluice/native', (bytes, start = 0, end = bytes.length, crc = 0) => best(bytes, start, end, crc)],
    [
      "@sluice/native's tables",
      (bytes, start = 0, end = bytes.length, crc = 0) => table(bytes, start, end, crc),
    ],
  ];
}
const nativeImplementations = nativeImplementationsOf(nativeCrc32c, nativeCrc32cTable);

const implementations: [string, Crc32c][] = [
  ['crc32c', crc32c],
  ['crc32cPortable', crc32cPortable],
  ...nativeImplementations,
];

/** `crc32cImplementation` as a fresh process with `environment` sees it. */
function implementationWith(environment: Record<string, string>): string {
  const script =
    "const { crc32c, crc32cImplementation } = await import('./src/crc32c.ts');" +
    "process.stdout.write(crc32cImplementation + ' ' + crc32c(Buffer.from('123456789')).toString(16));";
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: new URL('..', import.meta.url),
    env: { ...process.env, ...environment },
    encoding: 'utf8',
  });
}

/** Lengths up to 100k, an offset into a larger buffer, and a cut for continuing across two pieces. */
const longInputs = fc.record({
  bytes: fc
    .integer({ min: 0, max: 100_000 })
    .chain((length) => fc.uint8Array({ minLength: length, maxLength: length })),
  offset: fc.nat({ max: 64 }),
  cut: fc.nat(),
  initial: fc.nat({ max: 0xffffffff }),
});

describe('CRC-32C', () => {
  for (const [name, crc] of implementations) {
    for (const vector of CRC32C_VECTORS) {
      it(`${name} gives the published value for ${vector.name}`, () => {
        expect(crc(vector.bytes)).toBe(vector.crc);
      });
    }
  }

  it('uses the @sluice/native addon when it loads, else @node-rs/crc32', () => {
    // @node-rs/crc32 is a regular dependency with prebuilt binaries for the platforms CI runs on.
    expect(crc32cImplementation).toBe(nativeAvailable ? '@sluice/native' : '@node-rs/crc32');
  });

  it('falls back to @node-rs/crc32 when the addon is off, and to JavaScript when asked', () => {
    expect(implementationWith({ SLUICE_NATIVE: 'off' })).toBe('@node-rs/crc32 e3069283');
    expect(implementationWith({ SLUICE_CRC32C: 'portable' })).toBe('portable e3069283');
  });

  it.skipIf(!nativeAvailable)('native and portable agree on inputs up to 100k bytes at any offset', () => {
    fc.assert(
      fc.property(longInputs, ({ bytes, offset, initial }) => {
        const backing = Buffer.alloc(offset + bytes.length + 7, 0xa5);
        backing.set(bytes, offset);
        const end = offset + bytes.length;
        const expected = crc32cPortable(backing, offset, end, initial);
        for (const [, crc] of nativeImplementations)
          expect(crc(backing, offset, end, initial)).toBe(expected);
        expect(crc32c(backing, offset, end, initial)).toBe(expected);
      }),
      { seed: 34, numRuns: 300 },
    );
  });

  it.skipIf(!nativeAvailable)('native continues a long checksum across pieces as portable does', () => {
    fc.assert(
      fc.property(longInputs, ({ bytes, cut }) => {
        const buffer = Buffer.from(bytes);
        const split = cut % (buffer.length + 1);
        const whole = crc32cPortable(buffer);
        for (const [, crc] of nativeImplementations) {
          expect(crc(buffer, split, buffer.length, crc(buffer, 0, split))).toBe(whole);
        }
      }),
      { seed: 35, numRuns: 300 },
    );
  });

  it.skipIf(!nativeAvailable)('native agrees with portable around the three-lane block sizes', () => {
    // Lanes of 128, 1024 and 8192 bytes, three at a time: lengths at and around their multiples.
    const input = Buffer.from(Array.from({ length: 3 * 8192 * 2 + 64 }, (_, i) => (i * 131 + 7) & 0xff));
    for (const block of [3 * 128, 3 * 1024, 3 * 8192]) {
      for (const multiple of [1, 2]) {
        for (let delta = -9; delta <= 9; delta++) {
          const length = block * multiple + delta;
          if (length < 0 || length > input.length) continue;
          const expected = crc32cPortable(input, 0, length);
          for (const [name, crc] of nativeImplementations) {
            expect({ name, length, crc: crc(input, 0, length) }).toEqual({ name, length, crc: expected });
          }
        }
      }
    }
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
