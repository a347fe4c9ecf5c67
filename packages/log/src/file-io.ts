import fs from 'node:fs';

/**
 * Small wrappers over node:fs used by every file of the log. Writes and reads are synchronous (the page
 * cache makes them memory copies, and a single writer never interleaves); fsync is asynchronous, on the
 * libuv threadpool, so appends continue while it runs.
 */

/** Reads exactly `length` bytes at `position`; throws if the file ends first. */
export function readFully(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): void {
  let done = 0;
  while (done < length) {
    const count = fs.readSync(fd, buffer, offset + done, length - done, position + done);
    if (count === 0) {
      throw new Error(`unexpected end of file: read ${done} of ${length} bytes at position ${position}`);
    }
    done += count;
  }
}

/** Writes all of `buffer[offset, offset + length)` at `position`, looping over short writes. */
export function writeFully(
  fd: number,
  buffer: Uint8Array,
  offset: number,
  length: number,
  position: number,
): void {
  let done = 0;
  while (done < length) {
    done += fs.writeSync(fd, buffer, offset + done, length - done, position + done);
  }
}

/** Writes all of `buffers`, back to back from `position`, with as few writev calls as it takes. */
export function writevFully(fd: number, buffers: readonly Buffer[], position: number): void {
  let remaining: Buffer[] = [...buffers];
  let at = position;
  while (remaining.length > 0) {
    let written = fs.writevSync(fd, remaining.slice(0, MAX_IOVECS), at);
    at += written;
    // Drop what was written: whole buffers, then the written start of a partly written one.
    let done = 0;
    while (done < remaining.length && written >= remaining[done].length) written -= remaining[done++].length;
    remaining = remaining.slice(done);
    if (written > 0) remaining[0] = remaining[0].subarray(written);
  }
}

/** Buffers per writev: IOV_MAX on Linux and macOS. */
const MAX_IOVECS = 1024;

/** fdatasync on the threadpool. */
export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fdatasync(fd, (error) => (error ? reject(error) : resolve()));
  });
}

/** fsync a directory so that renames, creations and deletions in it survive a crash. */
export function fsyncDirectorySync(directory: string): void {
  const fd = fs.openSync(directory, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await fs.promises.open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes a file if it exists. */
export function unlinkIfExists(filePath: string): void {
  try {
    fs.unlinkSync(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export function fileSizeBytes(fd: number): number {
  return fs.fstatSync(fd).size;
}
