import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the system's temp directory, named `prefix` and random characters. */
export function temporaryDirectory(prefix = 'sluice-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a directory and everything in it; nothing happens when it is gone already. */
export function removeDirectory(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
