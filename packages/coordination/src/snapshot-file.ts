import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from './directory-sync.js';
import { StoreCorruptError } from './errors.js';
import { SNAPSHOT_BYTES_MAX } from './limits.js';
import { encodeFrame, readFrame } from './log-frame.js';

/**
 * The snapshot file: "SLCS", the format version (u32 big-endian), then one frame (see log-frame.ts) whose
 * payload is the msgpackr-encoded snapshot record. Written atomically: a temporary file is written and
 * fsync'd, renamed over the previous snapshot, and the directory fsync'd, so the snapshot on disk is always
 * a whole one. A damaged snapshot is therefore not a torn write but real damage, and opening fails.
 */
const MAGIC = Buffer.from('SLCS', 'ascii');
const FORMAT_VERSION = 1;
const HEADER_BYTES = 8;
export const SNAPSHOT_FILE = 'snapshot';
export const SNAPSHOT_TEMPORARY_FILE = 'snapshot.tmp';

/** Writes the snapshot atomically; returns its size in bytes. */
export async function writeSnapshot(directory: string, payload: Uint8Array): Promise<number> {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(FORMAT_VERSION, 4);
  const contents = Buffer.concat([header, encodeFrame(payload)]);
  const temporaryPath = join(directory, SNAPSHOT_TEMPORARY_FILE);
  const handle = await open(temporaryPath, 'w');
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporaryPath, join(directory, SNAPSHOT_FILE));
  await syncDirectory(directory);
  return contents.length;
}

/** Reads the snapshot's payload, or null if there is no snapshot. Removes a leftover temporary file. */
export async function readSnapshot(directory: string): Promise<{ payload: Buffer; bytes: number } | null> {
  await rm(join(directory, SNAPSHOT_TEMPORARY_FILE), { force: true });
  const path = join(directory, SNAPSHOT_FILE);
  let contents: Buffer;
  try {
    contents = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (contents.length < HEADER_BYTES || !contents.subarray(0, 4).equals(MAGIC)) {
    throw new StoreCorruptError(path, 'not a coordination snapshot (bad header)');
  }
  const version = contents.readUInt32BE(4);
  if (version !== FORMAT_VERSION) {
    throw new StoreCorruptError(
      path,
      `snapshot format ${version} is not supported (expected ${FORMAT_VERSION})`,
    );
  }
  const frame = readFrame(contents, HEADER_BYTES, SNAPSHOT_BYTES_MAX);
  if (frame.type !== 'frame') {
    throw new StoreCorruptError(
      path,
      frame.type === 'end' ? 'snapshot is empty' : `snapshot is damaged: ${frame.reason}`,
    );
  }
  if (frame.end !== contents.length) throw new StoreCorruptError(path, 'snapshot has bytes after its frame');
  return { payload: frame.payload, bytes: contents.length };
}
