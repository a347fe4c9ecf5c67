import assert from 'node:assert/strict';
import { type FileHandle, open, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory } from './directory-sync.js';
import { StoreCorruptError } from './errors.js';
import { LOG_FRAME_BYTES_MAX } from './limits.js';
import { readFrame } from './log-frame.js';

/** "SLCL" then the format version, as a u32 big-endian. */
const MAGIC = Buffer.from('SLCL', 'ascii');
const FORMAT_VERSION = 1;
export const LOG_HEADER_BYTES = 8;

function header(): Buffer {
  const bytes = Buffer.alloc(LOG_HEADER_BYTES);
  MAGIC.copy(bytes, 0);
  bytes.writeUInt32BE(FORMAT_VERSION, 4);
  return bytes;
}

export interface OpenedOperationLog {
  log: OperationLog;
  /** The payload of every whole, valid frame, in order. */
  payloads: Buffer[];
  /** Bytes cut from the end because they were not a whole, valid frame (0 when the file was clean). */
  truncatedBytes: number;
  truncationReason: string | null;
}

/**
 * An append-only file of frames (see log-frame.ts) after an 8-byte header. `append` returns once the bytes
 * are on disk (written, then fdatasync). Opening reads every frame and cuts the file at the first frame
 * that is incomplete or fails its CRC: the torn tail of a write interrupted by a crash.
 *
 * Not safe for concurrent appends: the store runs one append at a time.
 */
export class OperationLog {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    /** File length: everything before it is durable. */
    private length: number,
  ) {}

  /** Number of fdatasync calls made: one per append. */
  syncCount = 0;

  get bytes(): number {
    return this.length;
  }

  /** Creates an empty log (which must not exist), durable with its directory entry. */
  static async create(path: string): Promise<OperationLog> {
    await writeFile(path, header(), { flag: 'wx' });
    const handle = await open(path, 'r+');
    await handle.sync();
    await syncDirectory(dirname(path));
    return new OperationLog(path, handle, LOG_HEADER_BYTES);
  }

  /** Opens a log, creating it if missing, and repairs a torn tail. */
  static async open(path: string): Promise<OpenedOperationLog> {
    let contents: Buffer;
    try {
      contents = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return {
        log: await OperationLog.create(path),
        payloads: [],
        truncatedBytes: 0,
        truncationReason: null,
      };
    }
    if (contents.length < LOG_HEADER_BYTES) {
      // A crash while the header of a new log was written: nothing was ever appended.
      if (!header().subarray(0, contents.length).equals(contents)) {
        throw new StoreCorruptError(path, 'not a coordination operation log (bad header)');
      }
      const handle = await open(path, 'r+');
      await handle.truncate(0);
      await handle.write(header(), 0, LOG_HEADER_BYTES, 0);
      await handle.sync();
      return {
        log: new OperationLog(path, handle, LOG_HEADER_BYTES),
        payloads: [],
        truncatedBytes: contents.length,
        truncationReason: 'incomplete file header',
      };
    }
    if (!contents.subarray(0, 4).equals(MAGIC)) {
      throw new StoreCorruptError(path, 'not a coordination operation log (bad magic)');
    }
    const version = contents.readUInt32BE(4);
    if (version !== FORMAT_VERSION) {
      throw new StoreCorruptError(
        path,
        `operation log format ${version} is not supported (expected ${FORMAT_VERSION})`,
      );
    }
    const payloads: Buffer[] = [];
    let offset = LOG_HEADER_BYTES;
    let truncationReason: string | null = null;
    for (;;) {
      const frame = readFrame(contents, offset, LOG_FRAME_BYTES_MAX);
      if (frame.type === 'end') break;
      if (frame.type === 'torn') {
        truncationReason = frame.reason;
        break;
      }
      payloads.push(frame.payload);
      offset = frame.end;
    }
    const handle = await open(path, 'r+');
    if (offset < contents.length) {
      await handle.truncate(offset);
      await handle.sync();
    }
    return {
      log: new OperationLog(path, handle, offset),
      payloads,
      truncatedBytes: contents.length - offset,
      truncationReason,
    };
  }

  /** Appends `bytes` (whole frames) and waits until they are durable. */
  async append(bytes: Buffer): Promise<void> {
    assert(bytes.length > 0);
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await this.handle.write(
        bytes,
        written,
        bytes.length - written,
        this.length + written,
      );
      assert(bytesWritten > 0, 'write made progress');
      written += bytesWritten;
    }
    await this.handle.datasync();
    this.syncCount += 1;
    this.length += bytes.length;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
