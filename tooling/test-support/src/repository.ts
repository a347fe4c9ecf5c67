import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this package holding pnpm-workspace.yaml. */
export function repositoryRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'pnpm-workspace.yaml'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error('no pnpm-workspace.yaml above @sluice/test-support');
    directory = parent;
  }
  return directory;
}

/** A script of the shared tools, which live in ../shared/tools beside the repository root. */
export function sharedToolPath(name: string): string {
  return resolve(repositoryRoot(), '../shared/tools', name);
}
