import { constants as bufferConstants } from 'node:buffer';
import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DecodeError } from './decode-error.js';
import { UnsupportedCompressionTypeError } from './generated/error-classes.js';
import { type CompressionName, CompressionType } from './record-batch-header.js';

/**
 * The compression codecs of record batches (attributes bits 0-2): none, gzip (node:zlib), snappy
 * (`snappy`), lz4 (`lz4-napi`) and zstd (`zstd-napi`). The three native packages are optional
 * dependencies, loaded on first use; `compressionCodec` throws UnsupportedCompressionTypeError when the
 * one it needs is not installed.
 *
 * Every `decompress` is bounded: it never holds more than `maxOutputBytes` of output, and throws a
 * DecodeError as soon as the output would pass it (snappy, and zstd and lz4 frames that state their size,
 * before decompressing anything), so a small batch that inflates to gigabytes (a decompression bomb) is
 * refused cheaply. Malformed input also throws a DecodeError, whatever the library underneath reports.
 *
 * Formats, as Kafka's clients write and read them:
 * - gzip: RFC 1952, one or more members.
 * - snappy: written in the xerial (snappy-java) framing: the 16-byte header `82 'SNAPPY' 00`, version 1,
 *   compatible version 1 (int32 each), then blocks of int32 length + raw snappy, 32 KiB of input each.
 *   Raw snappy without that header is read too (some clients write it).
 * - lz4: the LZ4 frame format, written with independent blocks and no content size (Kafka's Java reader
 *   refuses anything else). Read by the bounded decoder in this module, which takes any frame without a
 *   dictionary (linked or independent blocks, several frames, skippable frames) and skips the frame's own
 *   xxHash32 checksums: the batch CRC-32C already covers these bytes.
 * - zstd: Zstandard frames, read with streaming decompression so that output is bounded even when the
 *   frame does not state its size (Kafka's Java client never states it).
 */

export interface CompressionCodec {
  compress(data: Buffer): Buffer;
  /**
   * Throws a DecodeError when `data` is malformed or would decompress to more than `maxOutputBytes`
   * (default DEFAULT_MAX_UNCOMPRESSED_BYTES).
   */
  decompress(data: Buffer, maxOutputBytes?: number): Buffer;
}

/** A codec as each format implements it: the limit always given, already checked. */
interface BoundedCodec {
  compress(data: Buffer): Buffer;
  decompress(data: Buffer, maxOutputBytes: number): Buffer;
}

/** The most a compressed batch may decompress to unless the caller says otherwise. */
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 128 * 1024 * 1024;

const MAX_BUFFER_BYTES = bufferConstants.MAX_LENGTH;

/** Input bytes per snappy block in the xerial framing, as snappy-java writes them. */
const XERIAL_BLOCK_BYTES = 32 * 1024;
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
const XERIAL_VERSION = 1;
const XERIAL_COMPATIBLE_VERSION = 1;

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50;
const LZ4_FLAG_VERSION_MASK = 0xc0;
const LZ4_FLAG_VERSION_1 = 0x40;
const LZ4_FLAG_BLOCK_INDEPENDENCE = 0x20;
const LZ4_FLAG_BLOCK_CHECKSUM = 0x10;
const LZ4_FLAG_CONTENT_SIZE = 0x08;
const LZ4_FLAG_CONTENT_CHECKSUM = 0x04;
const LZ4_FLAG_RESERVED = 0x02;
const LZ4_FLAG_DICTIONARY_ID = 0x01;
const LZ4_BLOCK_UNCOMPRESSED = 0x80000000;
/** No LZ4 sequence produces more than 255 bytes of output per byte of input. */
const LZ4_MAX_EXPANSION = 255;
/** Literals and matches shorter than this are copied byte by byte: cheaper than a native copy call. */
const LZ4_SHORT_COPY_BYTES = 32;
/** Output chunks of zstd streaming decompression, when the frame does not state its size. */
const ZSTD_MIN_CHUNK_BYTES = 16 * 1024;
const ZSTD_MAX_CHUNK_BYTES = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------
// Optional native packages, loaded once on first use.

type Loaded<Module> = { readonly ok: true; readonly module: Module } | { readonly ok: false; reason: string };

interface SnappyModule {
  compressSync(input: Uint8Array): Buffer;
  uncompressSync(input: Uint8Array, options: { asBuffer: true }): Buffer | string;
}
interface Lz4Module {
  compressFrameSync(data: Buffer): Buffer;
}
interface ZstdModule {
  compress(data: Uint8Array): Buffer;
}
interface ZstdDecompressionContext {
  decompressStream(destination: Uint8Array, source: Uint8Array): [number, number, number];
  reset(directive: number): void;
}
interface ZstdBinding {
  DCtx: new () => ZstdDecompressionContext;
  getFrameContentSize(frame: Uint8Array): number | null;
  ResetDirective: { sessionOnly: number };
}

const requireOptional = createRequire(import.meta.url);

function loader<Module>(load: () => Module): () => Loaded<Module> {
  let loaded: Loaded<Module> | undefined;
  return () => {
    if (loaded) return loaded;
    try {
      loaded = { ok: true, module: load() };
    } catch (error) {
      loaded = { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
    return loaded;
  };
}

const loadSnappy = loader(() => requireOptional('snappy') as SnappyModule);
const loadLz4 = loader(() => requireOptional('lz4-napi') as Lz4Module);
const loadZstd = loader(() => ({
  simple: requireOptional('zstd-napi') as ZstdModule,
  binding: requireOptional('zstd-napi/binding') as ZstdBinding,
}));

/** The optional package behind each native codec, with the version Sluice is tested with. */
const NATIVE_PACKAGES = {
  snappy: { name: 'snappy', version: '7.4.3', load: loadSnappy },
  lz4: { name: 'lz4-napi', version: '2.10.0', load: loadLz4 },
  zstd: { name: 'zstd-napi', version: '0.0.13', load: loadZstd },
} as const;

function required<Module>(type: keyof typeof NATIVE_PACKAGES, loaded: Loaded<Module>): Module {
  if (loaded.ok) return loaded.module;
  const { name, version } = NATIVE_PACKAGES[type];
  throw new UnsupportedCompressionTypeError(
    `${type} compression needs the optional package ${name}, which could not be loaded ` +
      `(${loaded.reason}); install it with: pnpm add ${name}@${version}`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Codecs

function overLimit(what: string, maxOutputBytes: number): DecodeError {
  return new DecodeError(`${what} decompresses to more than the limit of ${maxOutputBytes} bytes`, 0);
}

function checkLimit(outputBytes: number, maxOutputBytes: number, what: string): void {
  if (outputBytes > maxOutputBytes) throw overLimit(what, maxOutputBytes);
}

/** Any error of a decompression library, as a DecodeError. */
function failure(what: string, error: unknown): DecodeError {
  if (DecodeError.isInstance(error)) return error;
  return new DecodeError(
    `invalid ${what} data: ${error instanceof Error ? error.message : String(error)}`,
    0,
  );
}

/**
 * `buffer[0, usedBytes)`: a view when most of the buffer is used, else a copy, so that an output buffer
 * allocated for a bound does not stay alive, mostly empty, behind the records that point into it.
 */
function trimmed(buffer: Buffer, usedBytes: number): Buffer {
  if (buffer.length - usedBytes > usedBytes / 4) return Buffer.from(buffer.subarray(0, usedBytes));
  return buffer.subarray(0, usedBytes);
}

const noneCodec: BoundedCodec = {
  compress: (data) => data,
  decompress(data, maxOutputBytes) {
    checkLimit(data.length, maxOutputBytes, 'uncompressed data');
    return data;
  },
};

const gzipCodec: BoundedCodec = {
  compress: (data) => gzipSync(data),
  decompress(data, maxOutputBytes) {
    let output: Buffer;
    try {
      // zlib stops as soon as the output would pass maxOutputLength (which must be at least 1).
      output = gunzipSync(data, { maxOutputLength: Math.min(Math.max(1, maxOutputBytes), MAX_BUFFER_BYTES) });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw overLimit('gzip data', maxOutputBytes);
      }
      throw failure('gzip', error);
    }
    checkLimit(output.length, maxOutputBytes, 'gzip data');
    return output;
  },
};

/** The uncompressed length a raw snappy block states in its leading varint (at most 2^32 - 1). */
function snappyStatedLength(data: Buffer, start: number, end: number): number {
  let value = 0;
  let multiplier = 1;
  for (let position = start; position < end && position < start + 5; position++) {
    const byte = data[position];
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return value;
    multiplier *= 128;
  }
  throw new DecodeError('snappy block has no valid length preamble', start);
}

function snappyBlock(snappy: SnappyModule, block: Buffer): Buffer {
  try {
    return snappy.uncompressSync(block, { asBuffer: true }) as Buffer;
  } catch (error) {
    throw failure('snappy', error);
  }
}

function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_BYTES && data.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

function snappyCodec(snappy: SnappyModule): BoundedCodec {
  return {
    compress(data) {
      const blocks: Buffer[] = [];
      let outputBytes = XERIAL_HEADER_BYTES;
      for (let start = 0; start < data.length; start += XERIAL_BLOCK_BYTES) {
        const block = snappy.compressSync(data.subarray(start, start + XERIAL_BLOCK_BYTES));
        blocks.push(block);
        outputBytes += 4 + block.length;
      }
      const output = Buffer.allocUnsafe(outputBytes);
      XERIAL_MAGIC.copy(output, 0);
      output.writeInt32BE(XERIAL_VERSION, 8);
      output.writeInt32BE(XERIAL_COMPATIBLE_VERSION, 12);
      let position = XERIAL_HEADER_BYTES;
      for (const block of blocks) {
        output.writeInt32BE(block.length, position);
        block.copy(output, position + 4);
        position += 4 + block.length;
      }
      return output;
    },
    decompress(data, maxOutputBytes) {
      if (!isXerialFramed(data)) {
        checkLimit(snappyStatedLength(data, 0, data.length), maxOutputBytes, 'snappy data');
        return snappyBlock(snappy, data);
      }
      // Walk the blocks first and add up the lengths they state, so nothing is inflated past the limit.
      const blocks: Buffer[] = [];
      let statedBytes = 0;
      let position = XERIAL_HEADER_BYTES;
      while (position < data.length) {
        if (data.length - position < 4) throw new DecodeError('snappy block length cut short', position);
        const blockBytes = data.readInt32BE(position);
        if (blockBytes < 0 || blockBytes > data.length - position - 4) {
          throw new DecodeError(`snappy block of ${blockBytes} bytes does not fit`, position);
        }
        position += 4;
        statedBytes += snappyStatedLength(data, position, position + blockBytes);
        checkLimit(statedBytes, maxOutputBytes, 'snappy data');
        blocks.push(data.subarray(position, position + blockBytes));
        position += blockBytes;
      }
      if (blocks.length === 1) return snappyBlock(snappy, blocks[0]);
      const output = Buffer.allocUnsafe(statedBytes);
      let outputPosition = 0;
      for (const block of blocks) {
        const decoded = snappyBlock(snappy, block);
        if (decoded.length > statedBytes - outputPosition) throw overLimit('snappy data', statedBytes);
        outputPosition += decoded.copy(output, outputPosition);
      }
      return output;
    },
  };
}

/**
 * Decodes one LZ4 block from `source[start, end)` into `output` at `outputStart`. Matches may reach back to
 * `windowStart` (the block's start for independent blocks, the frame's for linked ones). Returns the end of
 * what it wrote, or -1 when the block would write past `outputLimit`.
 */
function decodeLz4Block(
  source: Buffer,
  start: number,
  end: number,
  output: Buffer,
  outputStart: number,
  outputLimit: number,
  windowStart: number,
): number {
  let position = start;
  let outputPosition = outputStart;
  while (position < end) {
    const token = source[position++];
    let literalBytes = token >>> 4;
    if (literalBytes === 15) {
      let byte: number;
      do {
        if (position >= end) throw new DecodeError('lz4 literal length runs past the block', position);
        byte = source[position++];
        literalBytes += byte;
      } while (byte === 255);
    }
    if (literalBytes > end - position) throw new DecodeError('lz4 literals run past the block', position);
    if (literalBytes > outputLimit - outputPosition) return -1;
    if (literalBytes < LZ4_SHORT_COPY_BYTES) {
      for (let i = 0; i < literalBytes; i++) output[outputPosition + i] = source[position + i];
    } else {
      source.copy(output, outputPosition, position, position + literalBytes);
    }
    position += literalBytes;
    outputPosition += literalBytes;
    if (position === end) break; // the last sequence of a block has literals only
    if (end - position < 2) throw new DecodeError('lz4 match offset cut short', position);
    const matchOffset = source[position] | (source[position + 1] << 8);
    position += 2;
    if (matchOffset === 0 || matchOffset > outputPosition - windowStart) {
      throw new DecodeError(`lz4 match offset ${matchOffset} reaches before the window`, position - 2);
    }
    let matchBytes = (token & 15) + 4;
    if ((token & 15) === 15) {
      let byte: number;
      do {
        if (position >= end) throw new DecodeError('lz4 match length runs past the block', position);
        byte = source[position++];
        matchBytes += byte;
      } while (byte === 255);
    }
    if (matchBytes > outputLimit - outputPosition) return -1;
    const from = outputPosition - matchOffset;
    if (matchBytes < LZ4_SHORT_COPY_BYTES) {
      for (let i = 0; i < matchBytes; i++) output[outputPosition + i] = output[from + i];
    } else {
      // The match repeats with period matchOffset. Copying from `from` a whole number of periods at a
      // time, each copy can take everything written since `from`, so the step doubles.
      let copied = 0;
      while (copied < matchBytes) {
        const step = Math.min(matchBytes - copied, matchOffset + copied);
        output.copyWithin(outputPosition + copied, from, from + step);
        copied += step;
      }
    }
    outputPosition += matchBytes;
  }
  return outputPosition;
}

interface Lz4Frame {
  readonly flags: number;
  readonly blockMaxBytes: number;
  /** The content size the frame states, or -1. */
  readonly contentBytes: number;
  /** Offset of the first block. */
  readonly blocksStart: number;
  /** Offset just past the frame. */
  readonly end: number;
  /** The most its blocks can decode to. */
  readonly maxOutputBytes: number;
}

/** Reads the header of the frame at `position` and walks its blocks without decoding them. */
function scanLz4Frame(data: Buffer, position: number): Lz4Frame {
  if (data.length - position < 7) throw new DecodeError('lz4 frame header cut short', position);
  const flags = data[position + 4];
  const blockDescriptor = data[position + 5];
  if ((flags & LZ4_FLAG_VERSION_MASK) !== LZ4_FLAG_VERSION_1 || (flags & LZ4_FLAG_RESERVED) !== 0) {
    throw new DecodeError(`lz4 frame flags 0x${flags.toString(16)} are not version 1`, position + 4);
  }
  if ((flags & LZ4_FLAG_DICTIONARY_ID) !== 0) {
    throw new DecodeError('lz4 frames with a dictionary are not supported', position + 4);
  }
  const blockSizeId = (blockDescriptor >> 4) & 7;
  if ((blockDescriptor & 0x8f) !== 0 || blockSizeId < 4) {
    throw new DecodeError(`lz4 block descriptor 0x${blockDescriptor.toString(16)} is invalid`, position + 5);
  }
  const blockMaxBytes = 1 << (8 + 2 * blockSizeId);
  let cursor = position + 6;
  let contentBytes = -1;
  if ((flags & LZ4_FLAG_CONTENT_SIZE) !== 0) {
    if (data.length - cursor < 9) throw new DecodeError('lz4 frame header cut short', cursor);
    const stated = data.readBigUInt64LE(cursor);
    contentBytes = stated > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(stated);
    cursor += 8;
  }
  cursor += 1; // the header checksum
  const blocksStart = cursor;
  const blockChecksumBytes = (flags & LZ4_FLAG_BLOCK_CHECKSUM) !== 0 ? 4 : 0;
  let maxOutputBytes = 0;
  for (;;) {
    if (data.length - cursor < 4) throw new DecodeError('lz4 block size cut short', cursor);
    const word = data.readUInt32LE(cursor);
    cursor += 4;
    if (word === 0) break;
    const blockBytes = (word & ~LZ4_BLOCK_UNCOMPRESSED) >>> 0;
    if (blockBytes > blockMaxBytes || blockBytes + blockChecksumBytes > data.length - cursor) {
      throw new DecodeError(`lz4 block of ${blockBytes} bytes does not fit`, cursor - 4);
    }
    maxOutputBytes +=
      (word & LZ4_BLOCK_UNCOMPRESSED) !== 0
        ? blockBytes
        : Math.min(blockMaxBytes, blockBytes * LZ4_MAX_EXPANSION);
    cursor += blockBytes + blockChecksumBytes;
  }
  if ((flags & LZ4_FLAG_CONTENT_CHECKSUM) !== 0) {
    if (data.length - cursor < 4) throw new DecodeError('lz4 content checksum cut short', cursor);
    cursor += 4;
  }
  if (contentBytes > maxOutputBytes) {
    throw new DecodeError(`lz4 frame states ${contentBytes} bytes, more than its blocks can hold`, position);
  }
  return { flags, blockMaxBytes, contentBytes, blocksStart, end: cursor, maxOutputBytes };
}

/** Decodes every frame in `data` (LZ4 allows several in a row, and skippable frames between them). */
function decodeLz4Frames(data: Buffer, maxOutputBytes: number): Buffer {
  // First pass: check the structure and bound the output, so that it is allocated once.
  const frames: Lz4Frame[] = [];
  let boundBytes = 0;
  let position = 0;
  while (position < data.length) {
    if (data.length - position < 4) throw new DecodeError('lz4 frame magic cut short', position);
    const magic = data.readUInt32LE(position);
    if ((magic & LZ4_SKIPPABLE_MAGIC_MASK) >>> 0 === LZ4_SKIPPABLE_MAGIC) {
      if (data.length - position < 8) throw new DecodeError('lz4 skippable frame cut short', position);
      const skipBytes = data.readUInt32LE(position + 4);
      if (skipBytes > data.length - position - 8) {
        throw new DecodeError('lz4 skippable frame runs past the end', position);
      }
      position += 8 + skipBytes;
      continue;
    }
    if (magic !== LZ4_FRAME_MAGIC) throw new DecodeError('not an lz4 frame', position);
    const frame = scanLz4Frame(data, position);
    boundBytes += frame.contentBytes >= 0 ? frame.contentBytes : frame.maxOutputBytes;
    if (frame.contentBytes >= 0) checkLimit(boundBytes, maxOutputBytes, 'lz4 data');
    frames.push(frame);
    position = frame.end;
  }
  if (frames.length === 0) throw new DecodeError('lz4 data holds no frame', 0);

  // The output stops at the caller's limit when the bound passes it; running into that end means the
  // data decompresses to more than the limit.
  const cappedByLimit = boundBytes > maxOutputBytes;
  const output = Buffer.allocUnsafe(cappedByLimit ? maxOutputBytes : boundBytes);
  let outputPosition = 0;
  for (const frame of frames) {
    const frameStart = outputPosition;
    const independent = (frame.flags & LZ4_FLAG_BLOCK_INDEPENDENCE) !== 0;
    const blockChecksumBytes = (frame.flags & LZ4_FLAG_BLOCK_CHECKSUM) !== 0 ? 4 : 0;
    let cursor = frame.blocksStart;
    for (;;) {
      const word = data.readUInt32LE(cursor);
      cursor += 4;
      if (word === 0) break;
      const blockBytes = (word & ~LZ4_BLOCK_UNCOMPRESSED) >>> 0;
      const blockLimit = Math.min(output.length, outputPosition + frame.blockMaxBytes);
      let written: number;
      if ((word & LZ4_BLOCK_UNCOMPRESSED) !== 0) {
        written = blockBytes > output.length - outputPosition ? -1 : outputPosition + blockBytes;
        if (written >= 0) data.copy(output, outputPosition, cursor, cursor + blockBytes);
      } else {
        const windowStart = independent ? outputPosition : frameStart;
        written = decodeLz4Block(
          data,
          cursor,
          cursor + blockBytes,
          output,
          outputPosition,
          blockLimit,
          windowStart,
        );
      }
      if (written < 0) {
        if (blockLimit < output.length) {
          throw new DecodeError(`lz4 block decodes to more than ${frame.blockMaxBytes} bytes`, cursor);
        }
        if (cappedByLimit) throw overLimit('lz4 data', maxOutputBytes);
        throw new DecodeError('lz4 frame decodes to more than the content size it states', cursor);
      }
      outputPosition = written;
      cursor += blockBytes + blockChecksumBytes;
    }
    if (frame.contentBytes >= 0 && outputPosition - frameStart !== frame.contentBytes) {
      throw new DecodeError(
        `lz4 frame states ${frame.contentBytes} bytes but holds ${outputPosition - frameStart}`,
        frame.blocksStart,
      );
    }
  }
  return trimmed(output, outputPosition);
}

function lz4Codec(lz4: Lz4Module): BoundedCodec {
  return {
    compress(data) {
      const frame = lz4.compressFrameSync(data);
      // Kafka's Java reader refuses frames with linked blocks.
      if ((frame[4] & LZ4_FLAG_BLOCK_INDEPENDENCE) === 0) {
        throw new Error('lz4-napi wrote an lz4 frame with linked blocks, which Kafka cannot read');
      }
      return frame;
    },
    decompress: (data, maxOutputBytes) => decodeLz4Frames(data, maxOutputBytes),
  };
}

function zstdCodec(zstd: { simple: ZstdModule; binding: ZstdBinding }): BoundedCodec {
  let context: ZstdDecompressionContext | undefined;
  return {
    compress: (data) => zstd.simple.compress(data),
    decompress(data, maxOutputBytes) {
      context ??= new zstd.binding.DCtx();
      const decompressor = context;
      decompressor.reset(zstd.binding.ResetDirective.sessionOnly);
      let stated: number | null = null;
      try {
        stated = zstd.binding.getFrameContentSize(data);
      } catch {
        // no frame header zstd can size: the decoder below says what is wrong
      }
      if (stated !== null) checkLimit(stated, maxOutputBytes, 'zstd data');
      const chunks: Buffer[] = [];
      let outputBytes = 0;
      let input = data;
      // The first chunk is what the frame states, else a guess from the input; later ones double.
      let chunkBytes = stated ?? Math.max(ZSTD_MIN_CHUNK_BYTES, data.length * 4);
      try {
        let frameDone = false;
        while (input.length > 0 || !frameDone) {
          // One byte of room past the limit tells "exactly at the limit" from "over it".
          const chunk = Buffer.allocUnsafe(
            Math.max(1, Math.min(chunkBytes, maxOutputBytes + 1 - outputBytes)),
          );
          const [hint, produced, consumed] = decompressor.decompressStream(chunk, input);
          outputBytes += produced;
          checkLimit(outputBytes, maxOutputBytes, 'zstd data');
          if (produced > 0) chunks.push(trimmed(chunk, produced));
          input = input.subarray(consumed);
          frameDone = hint === 0;
          if (!frameDone && produced < chunk.length && (input.length === 0 || consumed === 0)) {
            // Room left and nothing more to read (or nothing read): the frame stops in the middle.
            throw new DecodeError('zstd frame cut short', data.length - input.length);
          }
          chunkBytes = Math.min(Math.max(chunkBytes * 2, ZSTD_MIN_CHUNK_BYTES), ZSTD_MAX_CHUNK_BYTES);
        }
      } catch (error) {
        decompressor.reset(zstd.binding.ResetDirective.sessionOnly);
        throw failure('zstd', error);
      }
      if (chunks.length === 1) return chunks[0];
      return Buffer.concat(chunks, outputBytes);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Lookup

const NAMES_BY_CODE: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const codecs = new Map<CompressionName, CompressionCodec>();

function nameOf(type: CompressionName | number): CompressionName {
  if (typeof type === 'number') {
    const name = NAMES_BY_CODE[type];
    if (name === undefined || !Number.isInteger(type)) {
      throw new UnsupportedCompressionTypeError(`unknown compression type ${type}; Kafka defines 0-4`);
    }
    return name;
  }
  if (!Object.hasOwn(CompressionType, type)) {
    throw new UnsupportedCompressionTypeError(
      `unknown compression type '${type}'; Kafka defines ${NAMES_BY_CODE.join(', ')}`,
    );
  }
  return type;
}

function boundedCodecFor(name: CompressionName): BoundedCodec {
  switch (name) {
    case 'none':
      return noneCodec;
    case 'gzip':
      return gzipCodec;
    case 'snappy':
      return snappyCodec(required('snappy', loadSnappy()));
    case 'lz4':
      return lz4Codec(required('lz4', loadLz4()));
    case 'zstd':
      return zstdCodec(required('zstd', loadZstd()));
  }
}

/**
 * The codec for a compression name or attributes code (0-4). Throws UnsupportedCompressionTypeError for an
 * unknown type, or when the optional package a native codec needs is not installed.
 */
export function compressionCodec(type: CompressionName | number): CompressionCodec {
  const name = nameOf(type);
  let codec = codecs.get(name);
  if (codec === undefined) {
    const bounded = boundedCodecFor(name);
    codec = {
      compress: (data) => bounded.compress(data),
      decompress(data, maxOutputBytes = DEFAULT_MAX_UNCOMPRESSED_BYTES) {
        if (!(maxOutputBytes >= 0)) throw new RangeError(`invalid maxOutputBytes ${maxOutputBytes}`);
        return bounded.decompress(data, maxOutputBytes);
      },
    };
    codecs.set(name, codec);
  }
  return codec;
}

/** Whether `compressionCodec(type)` works here (its optional package, if any, loads). */
export function isCompressionAvailable(type: CompressionName): boolean {
  if (type === 'none' || type === 'gzip') return true;
  const native = NATIVE_PACKAGES[type];
  return native?.load().ok === true;
}
