import fs from 'node:fs';
import path from 'node:path';
import { fsyncDirectory, fsyncDirectorySync } from './file-io.js';

/**
 * Atomic replacement of a small file: write `<file>.tmp`, fsync it, rename it over the file, fsync the
 * directory. After a crash the file holds either the old or the new contents, never a mix.
 */

export function temporaryPathOf(filePath: string): string {
  return `${filePath}.tmp`;
}

export function writeFileAtomicSync(filePath: string, contents: string | Uint8Array): void {
  const temporary = temporaryPathOf(filePath);
  const fd = fs.openSync(temporary, 'w');
  try {
    fs.writeFileSync(fd, contents);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, filePath);
  fsyncDirectorySync(path.dirname(filePath));
}

/**
 * Replaces a file atomically but without fsync: after a crash the file may be missing, empty or hold the
 * old contents. Only for files verified on read (producer state snapshots carry a CRC-32C) and that can
 * be rebuilt from the log when they fail.
 */
export function replaceFileSync(filePath: string, contents: Uint8Array): void {
  const temporary = temporaryPathOf(filePath);
  fs.writeFileSync(temporary, contents);
  fs.renameSync(temporary, filePath);
}

export async function writeFileAtomic(filePath: string, contents: string | Uint8Array): Promise<void> {
  const temporary = temporaryPathOf(filePath);
  const handle = await fs.promises.open(temporary, 'w');
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(temporary, filePath);
  await fsyncDirectory(path.dirname(filePath));
}
