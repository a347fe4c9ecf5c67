import fs from 'node:fs';
import { fdatasync, writeFully } from './file-io.js';
import { invariant } from './invariant.js';

/**
 * The file side of a sparse index (offset or time index): entries live in memory, in typed arrays owned by
 * the subclass, and are written to the file sequentially: `writePending` appends the entries added since
 * the last write, `rewrite` replaces the whole file (after a rebuild), `truncateEntries` cuts both.
 *
 * Concurrency: single-threaded like the rest of the log; `sync` is the only asynchronous operation, and
 * `close` must not be called while a sync is running (the segment awaits its syncs before closing).
 */
export abstract class IndexFile {
  /** Entries in memory. */
  protected count = 0;
  /** Entries already written to the file: always ≤ count. */
  private persistedCount = 0;
  private fd: number | null = null;

  protected constructor(
    public filePath: string,
    readonly entryBytes: number,
  ) {}

  get entryCount(): number {
    return this.count;
  }

  /** Entries written to the file (the rest are only in memory until `writePending`). */
  get persistedEntryCount(): number {
    return this.persistedCount;
  }

  /** Writes entry `index` at `buffer[at, at + entryBytes)`. */
  protected abstract encodeEntry(buffer: Buffer, at: number, index: number): void;

  /** Marks the first `count` entries as loaded from the file as it is. */
  protected markLoaded(count: number): void {
    this.count = count;
    this.persistedCount = count;
  }

  private openFd(): number {
    if (this.fd === null)
      this.fd = fs.openSync(this.filePath, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    return this.fd;
  }

  /** Appends the entries added since the last write to the file (no fsync). */
  writePending(): void {
    if (this.persistedCount === this.count) return;
    invariant(this.persistedCount < this.count, 'persisted index entries cannot outnumber entries');
    const pending = this.count - this.persistedCount;
    const buffer = Buffer.allocUnsafe(pending * this.entryBytes);
    for (let i = 0; i < pending; i++) this.encodeEntry(buffer, i * this.entryBytes, this.persistedCount + i);
    writeFully(this.openFd(), buffer, 0, buffer.length, this.persistedCount * this.entryBytes);
    this.persistedCount = this.count;
  }

  /** Replaces the file's contents with all entries in memory. */
  rewrite(): void {
    const fd = this.openFd();
    fs.ftruncateSync(fd, 0);
    this.persistedCount = 0;
    this.writePending();
  }

  /** Drops entries from `newCount` on, in memory and in the file. */
  protected truncateEntries(newCount: number): void {
    invariant(newCount >= 0 && newCount <= this.count, 'index truncation must keep a prefix of the entries');
    this.count = newCount;
    if (this.persistedCount > newCount) {
      fs.ftruncateSync(this.openFd(), newCount * this.entryBytes);
      this.persistedCount = newCount;
    }
  }

  /** fsync the index file (after `writePending`). */
  async sync(): Promise<void> {
    if (this.fd !== null) await fdatasync(this.fd);
  }

  renameTo(filePath: string): void {
    if (fs.existsSync(this.filePath)) fs.renameSync(this.filePath, filePath);
    this.filePath = filePath;
  }

  close(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }

  /** Creates the (empty) file if missing, so a segment always has its three files. */
  touch(): void {
    this.openFd();
  }
}

/** Reads a whole index file, or null if it does not exist. */
export function readIndexFile(filePath: string): Buffer | null {
  try {
    return fs.readFileSync(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Grows a typed array to at least `needed` entries (doubling). */
export function grown<T extends Uint32Array | Float64Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  let capacity = Math.max(array.length, 16);
  while (capacity < needed) capacity *= 2;
  const next = new (array.constructor as new (length: number) => T)(capacity);
  next.set(array);
  return next;
}
