import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CRC32C_VECTORS } from '@sluice/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type NativeCrc32c,
  nativeAvailable,
  nativeBatchCrc,
  nativeCrc32c,
  nativeCrc32cInstruction,
  nativeCrc32cMethod,
  nativeCrc32cTable,
  nativeUnavailableReason,
  nativeValidateBatch,
  nativeValidationStatistics,
  nativeWalkRecords,
  RecordWalkProblem,
} from './index.js';

const packageDirectory = fileURLToPath(new URL('..', import.meta.url));
const addonBuilt = existsSync(new URL('../build/Release/sluice_native.node', import.meta.url));
/** CI installs a compiler before `pnpm install`, so there the addon must have built; and it loads unless
 * SLUICE_NATIVE=off. */
const addonExpected = (addonBuilt || process.env.CI === 'true') && process.env.SLUICE_NATIVE !== 'off';

/** The method the addon should pick on this CPU, from the flags Linux reports; else any method will do. */
function expectedMethod(): string | null {
  if (process.platform !== 'linux' || !existsSync('/proc/cpuinfo')) return null;
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  if (process.arch === 'x64') {
    const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1].split(/\s+/) ?? [];
    if (!flags.includes('sse4_2')) return 'table';
    const fold = ['avx512f', 'avx512vl', 'vpclmulqdq', 'pclmulqdq'].every((flag) => flags.includes(flag));
    return fold ? 'avx512-vpclmulqdq' : 'sse4.2';
  }
  if (process.arch === 'arm64') return /^Features\s*:.*\bcrc32\b/m.test(cpuinfo) ? 'armv8-crc' : 'table';
  return 'table';
}

/** CRC-32C one bit at a time: slow, and independent of the addon's tables and instructions. */
function crc32cBitwise(bytes: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

/** What a fresh process sees with `environment`. */
function availabilityWith(environment: Record<string, string>): string {
  const script =
    "const native = await import('./src/index.ts');" +
    'process.stdout.write(String(native.nativeAvailable) + " " + native.nativeUnavailableReason);';
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: packageDirectory,
    env: { ...process.env, ...environment },
    encoding: 'utf8',
  });
}

describe('@sluice/native', () => {
  it.runIf(addonExpected)('loads the addon that the install built', () => {
    expect(nativeUnavailableReason).toBeNull();
    expect(nativeAvailable).toBe(true);
    expect(['avx512-vpclmulqdq', 'sse4.2', 'armv8-crc', 'table']).toContain(nativeCrc32cMethod);
    const expected = expectedMethod();
    if (expected !== null) expect(nativeCrc32cMethod).toBe(expected);
  });

  it.runIf(!addonExpected)('offers nothing, and says why, when the addon did not build', () => {
    expect(nativeAvailable).toBe(false);
    expect(nativeUnavailableReason).toMatch(/\S/);
    expect([
      nativeCrc32c,
      nativeCrc32cTable,
      nativeCrc32cInstruction,
      nativeWalkRecords,
      nativeValidateBatch,
      nativeBatchCrc,
      nativeCrc32cMethod,
      nativeValidationStatistics(),
    ]).toEqual([null, null, null, null, null, null, null, null]);
  });

  it('is off when SLUICE_NATIVE=off, so callers take their JavaScript paths', () => {
    expect(availabilityWith({ SLUICE_NATIVE: 'off' })).toBe('false SLUICE_NATIVE=off');
  });

  it.runIf(addonExpected)('refuses an unknown SLUICE_NATIVE_SPLIT, saying which values it takes', () => {
    expect(availabilityWith({ SLUICE_NATIVE: '', SLUICE_NATIVE_SPLIT: 'sometimes' })).toBe(
      'false SLUICE_NATIVE_SPLIT must be never, when-free or always, not "sometimes"',
    );
    expect(availabilityWith({ SLUICE_NATIVE: '', SLUICE_NATIVE_SPLIT: 'when-free' })).toBe('true null');
  });
});

describe.runIf(nativeAvailable)('native CRC-32C', () => {
  const methods: [string, NativeCrc32c][] = [
    [`the CPU's method (${nativeCrc32cMethod})`, nativeCrc32c!],
    ['the crc32 instruction (or the tables)', nativeCrc32cInstruction!],
    ['the tables', nativeCrc32cTable!],
  ];

  for (const [name, crc] of methods) {
    for (const vector of CRC32C_VECTORS) {
      it(`${name} gives the published value for ${vector.name}`, () => {
        expect(crc(vector.bytes, 0, vector.bytes.length, 0)).toBe(vector.crc);
      });
    }

    it(`${name} matches a bit-at-a-time CRC on any bytes, offset and starting value`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 2000 }),
          fc.nat(),
          fc.nat(),
          fc.nat({ max: 0xffffffff }),
          (bytes, a, b, initial) => {
            const start = a % (bytes.length + 1);
            const end = start + (b % (bytes.length - start + 1));
            expect(crc(bytes, start, end, initial)).toBe(crc32cBitwise(bytes.subarray(start, end), initial));
          },
        ),
        { seed: 41, numRuns: 500 },
      );
    });
  }

  it('agrees between the CPU method, the instruction and the tables up to 100k bytes, in pieces too', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 100_000 })
          .chain((length) => fc.uint8Array({ minLength: length, maxLength: length })),
        fc.nat(),
        (bytes, cut) => {
          const split = cut % (bytes.length + 1);
          const whole = nativeCrc32cTable!(bytes, 0, bytes.length, 0);
          expect(nativeCrc32c!(bytes, 0, bytes.length, 0)).toBe(whole);
          expect(nativeCrc32cInstruction!(bytes, 0, bytes.length, 0)).toBe(whole);
          expect(nativeCrc32c!(bytes, split, bytes.length, nativeCrc32c!(bytes, 0, split, 0))).toBe(whole);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it('agrees between the CPU method and the tables on every length around the fold sizes', () => {
    // Folding takes 256 bytes at a time, then 64, then leaves the rest to the crc32 instruction.
    const bytes = Uint8Array.from({ length: 1200 }, (_, i) => (i * 131 + 7) & 0xff);
    for (let start = 0; start < 3; start++) {
      for (let end = start; end <= bytes.length; end++) {
        const expected = nativeCrc32cTable!(bytes, start, end, 0x1234abcd);
        if (nativeCrc32c!(bytes, start, end, 0x1234abcd) !== expected) {
          expect({ start, end, crc: nativeCrc32c!(bytes, start, end, 0x1234abcd) }).toEqual({
            start,
            end,
            crc: expected,
          });
        }
      }
    }
  });

  it('agrees between the CPU method and the instruction on several MiB', () => {
    const bytes = new Uint8Array(5 * 1024 * 1024 + 77);
    let state = 2024;
    for (let i = 0; i < bytes.length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      bytes[i] = state >>> 24;
    }
    const instruction = nativeCrc32cInstruction!(bytes, 0, bytes.length, 0);
    expect(nativeCrc32c!(bytes, 0, bytes.length, 0)).toBe(instruction);
    expect(nativeCrc32c!(bytes, 13, bytes.length - 5, 9)).toBe(
      nativeCrc32cInstruction!(bytes, 13, bytes.length - 5, 9),
    );
  });

  it('refuses a range outside the bytes and arguments of the wrong type', () => {
    const bytes = Buffer.alloc(8);
    expect(() => nativeCrc32c!(bytes, 0, 9, 0)).toThrow(RangeError);
    expect(() => nativeCrc32c!(bytes, 5, 4, 0)).toThrow(RangeError);
    expect(() => nativeCrc32c!(bytes, -1, 4, 0)).toThrow(RangeError);
    expect(() => nativeCrc32c!(new Uint16Array(4) as unknown as Uint8Array, 0, 1, 0)).toThrow(TypeError);
    expect(() => nativeCrc32c!('bytes' as unknown as Uint8Array, 0, 1, 0)).toThrow(TypeError);
  });
});

describe.runIf(nativeAvailable)('native record walk', () => {
  /** A batch header (61 bytes, unchecked by the walk) followed by `records`. */
  function batch(records: number[]): Buffer {
    return Buffer.concat([Buffer.alloc(61), Buffer.from(records)]);
  }
  // length 6: attributes 0, timestampDelta 0, offsetDelta 0, keyLength -1, valueLength 1, value 0x2a, no headers
  const record0 = [14, 0, 0, 0, 1, 2, 0x2a, 0];
  const record1 = [14, 0, 0, 2, 1, 2, 0x2b, 0];

  it('accepts records that exactly fill the batch', () => {
    const buffer = batch([...record0, ...record1]);
    expect(nativeWalkRecords!(buffer, 0, buffer.length, 2, false, new Float64Array(3))).toBe(
      RecordWalkProblem.NONE,
    );
  });

  it('reports a problem with its record, value and second value', () => {
    const buffer = batch([...record0, ...record1, 9, 9]);
    const details = new Float64Array(3);
    expect(nativeWalkRecords!(buffer, 0, buffer.length, 2, false, details)).toBe(
      RecordWalkProblem.TRAILING_BYTES,
    );
    expect([...details]).toEqual([2, 2, 0]);
    expect(nativeWalkRecords!(buffer, 0, buffer.length - 2, 2, true, details)).toBe(
      RecordWalkProblem.MISSING_KEY,
    );
    expect([...details]).toEqual([0, 0, 0]);
  });

  it('reads nothing past the buffer when a batch claims more bytes than it has', () => {
    const buffer = batch([...record0, 0x80]);
    const details = new Float64Array(3);
    expect(nativeWalkRecords!(buffer, 0, buffer.length + 100, 3, false, details)).toBe(
      RecordWalkProblem.LENGTH,
    );
    expect([...details]).toEqual([1, 0, buffer.length + 100 - 2_147_483_647]);
  });

  it('refuses misuse: no details array for a problem, a batch outside the buffer', () => {
    const buffer = batch([...record0, 1]);
    expect(() => nativeWalkRecords!(buffer, 0, buffer.length, 1, false, new Float64Array(2))).toThrow(
      TypeError,
    );
    expect(() => nativeWalkRecords!(buffer, buffer.length + 1, 0, 1, false, new Float64Array(3))).toThrow(
      RangeError,
    );
    expect(() =>
      nativeWalkRecords!(buffer, 0, buffer.length, 1, 'yes' as unknown as boolean, new Float64Array(3)),
    ).toThrow(TypeError);
  });
});
