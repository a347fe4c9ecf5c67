import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compressionCodec, DEFAULT_MAX_UNCOMPRESSED_BYTES, isCompressionAvailable } from './compression.js';
import { DecodeError } from './decode-error.js';
import { UnsupportedCompressionTypeError } from './generated/error-classes.js';
import type { CompressionName } from './record-batch-header.js';

const require = createRequire(import.meta.url);
const snappy = require('snappy') as { compressSync(data: Buffer): Buffer };
const lz4 = require('lz4-napi') as {
  compressFrameSync(data: Buffer, options?: { contentChecksum?: boolean; blockChecksums?: boolean }): Buffer;
};
const zstd = require('zstd-napi') as { CompressStream: new () => NodeJS.ReadWriteStream };
const zstdBinding = require('zstd-napi/binding') as { getFrameContentSize(frame: Uint8Array): number | null };

const CODECS: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const NATIVE_CODECS: CompressionName[] = ['snappy', 'lz4', 'zstd'];
const COMPRESSED_CODECS: CompressionName[] = ['gzip', 'snappy', 'lz4', 'zstd'];

/** Text-like bytes: compressible, but not trivially. Seeded, so every run sees the same data. */
function sampleData(byteCount: number, seed = 1): Buffer {
  const words = ['kafka', 'sluice', 'partition', 'offset', 'record', 'batch', 'leader', 'replica', '{"id":'];
  const output = Buffer.alloc(byteCount);
  let state = seed;
  let position = 0;
  while (position < byteCount) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const word = state % 4 === 0 ? String(state % 100000) : words[state % words.length];
    position += output.write(`${word} `, position);
  }
  return output;
}

function decodeErrorOf(action: () => unknown): DecodeError {
  try {
    action();
  } catch (error) {
    expect(DecodeError.isInstance(error), String(error)).toBe(true);
    return error as DecodeError;
  }
  throw new Error('expected a DecodeError, got a result');
}

/** An LZ4 frame written by hand, for shapes lz4-napi never writes. The header checksum is left 0. */
function lz4Frame(options: {
  independent: boolean;
  blocks: { bytes: Buffer; stored?: boolean }[];
  contentBytes?: number;
}): Buffer {
  const flags = 0x40 | (options.independent ? 0x20 : 0) | (options.contentBytes !== undefined ? 0x08 : 0);
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18, flags, 0x40])];
  if (options.contentBytes !== undefined) {
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(options.contentBytes));
    parts.push(size);
  }
  parts.push(Buffer.from([0]));
  for (const block of options.blocks) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE((block.bytes.length | (block.stored ? 0x80000000 : 0)) >>> 0);
    parts.push(size, block.bytes);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** An LZ4 block of literals only: token, then the bytes (fewer than 15). */
function literalBlock(text: string): Buffer {
  return Buffer.concat([Buffer.from([text.length << 4]), Buffer.from(text)]);
}

describe('compression codecs', () => {
  it('have every optional package installed here (CI installs them too)', () => {
    for (const name of CODECS) expect(isCompressionAvailable(name), name).toBe(true);
  });

  for (const name of CODECS) {
    it(`${name} round-trips empty, small, multi-block and incompressible data`, () => {
      const codec = compressionCodec(name);
      const random = Buffer.from(fc.sample(fc.integer({ min: 0, max: 255 }), { seed: 5, numRuns: 70_000 }));
      for (const data of [Buffer.alloc(0), Buffer.from('x'), sampleData(1000), sampleData(700_000), random]) {
        const compressed = codec.compress(data);
        expect(codec.decompress(compressed).equals(data)).toBe(true);
      }
    });
  }

  it('look up codecs by attributes code as well as by name', () => {
    CODECS.forEach((name, code) => {
      expect(compressionCodec(code)).toBe(compressionCodec(name));
    });
  });

  it('refuse an unknown compression type with UNSUPPORTED_COMPRESSION_TYPE', () => {
    for (const type of [5, 7, -1, 1.5, 'brotli']) {
      const attempt = () => compressionCodec(type as CompressionName);
      expect(attempt).toThrow(UnsupportedCompressionTypeError);
      try {
        attempt();
      } catch (error) {
        expect((error as UnsupportedCompressionTypeError).code).toBe(76);
      }
    }
    expect(isCompressionAvailable('brotli' as CompressionName)).toBe(false);
  });

  for (const name of COMPRESSED_CODECS) {
    it(`${name} stops a decompression bomb at the limit`, () => {
      const codec = compressionCodec(name);
      const bomb = codec.compress(Buffer.alloc(64 * 1024 * 1024));
      expect(bomb.length).toBeLessThan(4 * 1024 * 1024); // snappy inflates at most about 21 times
      const error = decodeErrorOf(() => codec.decompress(bomb, 1024 * 1024));
      expect(error.message).toMatch(/more than the limit of 1048576 bytes/);
    });

    it(`${name} accepts output exactly at the limit and refuses one byte more`, () => {
      const codec = compressionCodec(name);
      const data = sampleData(300_000, 9);
      const compressed = codec.compress(data);
      expect(codec.decompress(compressed, data.length).equals(data)).toBe(true);
      decodeErrorOf(() => codec.decompress(compressed, data.length - 1));
    });
  }

  it('applies the default limit when the caller gives none', async () => {
    const frame = compressionCodec('zstd').compress(Buffer.alloc(DEFAULT_MAX_UNCOMPRESSED_BYTES + 1));
    expect(decodeErrorOf(() => compressionCodec('zstd').decompress(frame)).message).toMatch(/limit/);
  });

  describe('gzip', () => {
    it('reads several members one after another', () => {
      const joined = Buffer.concat([gzipSync('first '), gzipSync('second')]);
      expect(compressionCodec('gzip').decompress(joined).toString()).toBe('first second');
    });
  });

  describe('snappy', () => {
    it('writes the xerial framing of snappy-java: header, then 32 KiB blocks', () => {
      const data = sampleData(100_000);
      const framed = compressionCodec('snappy').compress(data);
      expect(framed.subarray(0, 8)).toEqual(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]));
      expect(framed.readInt32BE(8)).toBe(1);
      expect(framed.readInt32BE(12)).toBe(1);
      const blockLengths: number[] = [];
      for (let position = 16; position < framed.length; ) {
        const length = framed.readInt32BE(position);
        blockLengths.push(length);
        position += 4 + length;
      }
      expect(blockLengths).toHaveLength(4); // 3 x 32768 + 1696 input bytes
    });

    it('reads raw snappy without the framing, as some clients write it', () => {
      const data = sampleData(50_000);
      expect(compressionCodec('snappy').decompress(snappy.compressSync(data)).equals(data)).toBe(true);
    });

    it('refuses a block whose length runs past the end', () => {
      const framed = compressionCodec('snappy').compress(sampleData(1000));
      framed.writeInt32BE(framed.length, 16);
      expect(decodeErrorOf(() => compressionCodec('snappy').decompress(framed)).message).toMatch(
        /does not fit/,
      );
    });
  });

  describe('lz4', () => {
    it('writes version 1 frames with independent blocks and no content size, as Kafka reads them', () => {
      const frame = compressionCodec('lz4').compress(sampleData(600_000));
      expect(frame.readUInt32LE(0)).toBe(0x184d2204);
      const flags = frame[4];
      expect(flags & 0xc0).toBe(0x40); // version 1
      expect(flags & 0x20).toBe(0x20); // independent blocks
      expect(flags & 0x08).toBe(0); // no content size
      expect((frame[5] >> 4) & 7).toBeGreaterThanOrEqual(4); // 64 KiB to 4 MiB blocks
    });

    it('reads frames with block and content checksums', () => {
      const data = sampleData(400_000);
      const frame = lz4.compressFrameSync(data, { contentChecksum: true, blockChecksums: true });
      expect(frame[4] & 0x14).toBe(0x14);
      expect(compressionCodec('lz4').decompress(frame).equals(data)).toBe(true);
    });

    it('reads concatenated frames and skips skippable frames', () => {
      const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
      const joined = Buffer.concat([
        lz4.compressFrameSync(Buffer.from('one ')),
        skippable,
        lz4.compressFrameSync(Buffer.from('two')),
      ]);
      expect(compressionCodec('lz4').decompress(joined).toString()).toBe('one two');
    });

    it('reads stored (uncompressed) blocks and checks a stated content size', () => {
      const blocks = [{ bytes: Buffer.from('stored '), stored: true }, { bytes: literalBlock('packed') }];
      const frame = lz4Frame({ independent: true, blocks, contentBytes: 13 });
      expect(compressionCodec('lz4').decompress(frame).toString()).toBe('stored packed');
      for (const contentBytes of [12, 14]) {
        const lying = lz4Frame({ independent: true, blocks, contentBytes });
        expect(decodeErrorOf(() => compressionCodec('lz4').decompress(lying)).message).toMatch(
          /content size|states/,
        );
      }
    });

    it('lets a match reach into the previous block only when blocks are linked', () => {
      // Block 2: a match of 8 bytes at offset 8 (into block 1), then the literal "!".
      const blocks = [
        { bytes: Buffer.concat([Buffer.from([0x80]), Buffer.from('abcdefgh')]) },
        { bytes: Buffer.from([0x04, 0x08, 0x00, 0x10, 0x21]) },
      ];
      const linked = lz4Frame({ independent: false, blocks });
      expect(compressionCodec('lz4').decompress(linked).toString()).toBe('abcdefghabcdefgh!');
      const independent = lz4Frame({ independent: true, blocks });
      expect(decodeErrorOf(() => compressionCodec('lz4').decompress(independent)).message).toMatch(
        /reaches before the window/,
      );
    });

    it('decodes long overlapping matches (runs) exactly', () => {
      const data = Buffer.concat([
        Buffer.from('ab'),
        Buffer.alloc(100_000, 0x61),
        sampleData(5000),
        Buffer.alloc(70_000),
      ]);
      expect(compressionCodec('lz4').decompress(lz4.compressFrameSync(data)).equals(data)).toBe(true);
    });
  });

  describe('zstd', () => {
    it('reads frames that do not state their size, as streaming writers (Kafka Java) produce', async () => {
      const data = sampleData(2_000_000);
      const stream = new zstd.CompressStream();
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.end(data);
      await once(stream, 'end');
      const frame = Buffer.concat(chunks);
      expect(zstdBinding.getFrameContentSize(frame)).toBeNull();
      expect(compressionCodec('zstd').decompress(frame).equals(data)).toBe(true);
      expect(decodeErrorOf(() => compressionCodec('zstd').decompress(frame, 1_000_000)).message).toMatch(
        /limit/,
      );
    });

    it('refuses a frame cut short, and still decodes the next one', () => {
      const codec = compressionCodec('zstd');
      const frame = codec.compress(sampleData(100_000));
      decodeErrorOf(() => codec.decompress(frame.subarray(0, frame.length - 10)));
      expect(codec.decompress(frame).equals(sampleData(100_000))).toBe(true);
    });
  });

  describe('fed bad bytes', () => {
    for (const name of COMPRESSED_CODECS) {
      it(`${name} fails with a DecodeError and nothing else, on random and mutated data`, () => {
        const codec = compressionCodec(name);
        const valid = codec.compress(sampleData(3000, 3));
        fc.assert(
          fc.property(
            fc.oneof(
              fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
              fc
                .array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 })
                .map((flips) => {
                  const mutated = Buffer.from(valid);
                  for (const [position, mask] of flips) mutated[position % mutated.length] ^= mask;
                  return mutated;
                }),
              fc.nat().map((cut) => valid.subarray(0, cut % valid.length)),
            ),
            fc.integer({ min: 0, max: 10_000 }),
            (data, maxOutputBytes) => {
              try {
                const output = codec.decompress(data, maxOutputBytes);
                expect(output.length).toBeLessThanOrEqual(maxOutputBytes);
              } catch (error) {
                expect(DecodeError.isInstance(error), String(error)).toBe(true);
              }
            },
          ),
          { seed: 76, numRuns: 3000 },
        );
      });
    }
  });
});

describe('a missing optional compression package', () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-compression-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  for (const name of NATIVE_CODECS) {
    it(`makes ${name} unavailable with a clear UNSUPPORTED_COMPRESSION_TYPE error`, async () => {
      const packageName = { snappy: 'snappy', lz4: 'lz4-napi', zstd: 'zstd-napi' }[name as string]!;
      // A real process in which the package cannot be resolved, as if it had not been installed.
      const preload = join(directory, `without-${name}.cjs`);
      writeFileSync(
        preload,
        `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === ${JSON.stringify(packageName)} || request.startsWith(${JSON.stringify(`${packageName}/`)})) {
    const error = new Error("Cannot find module '" + request + "'");
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolve.call(this, request, ...rest);
};`,
      );
      const source = join(dirname(fileURLToPath(import.meta.url)), 'compression.ts');
      const script = `
import { compressionCodec, isCompressionAvailable } from ${JSON.stringify(source)};
let error;
try { compressionCodec(${JSON.stringify(name)}); } catch (caught) { error = caught; }
const gzip = compressionCodec('gzip');
process.stdout.write(JSON.stringify({
  available: isCompressionAvailable(${JSON.stringify(name)}),
  errorName: error?.name, code: error?.code, message: error?.message,
  gzipWorks: gzip.decompress(gzip.compress(Buffer.from('ok'))).toString() === 'ok',
}));`;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--require', preload, '--import', 'tsx', '--input-type=module', '--eval', script],
        { cwd: dirname(dirname(fileURLToPath(import.meta.url))) },
      );
      const result = JSON.parse(stdout);
      expect(result.available).toBe(false);
      expect(result.errorName).toBe('UnsupportedCompressionTypeError');
      expect(result.code).toBe(76);
      expect(result.message).toContain(`needs the optional package ${packageName}`);
      expect(result.message).toMatch(new RegExp(`pnpm add ${packageName}@\\d`));
      expect(result.gzipWorks).toBe(true);
    });
  }
});
