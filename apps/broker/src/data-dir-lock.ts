import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One broker per data directory: `<log.dirs>/.lock` holds the owner's pid. A lock left by a process that no
 * longer runs (kill -9) is taken over; one held by a live process stops the start.
 */
export class DataDirectoryLock {
  private constructor(private readonly path: string) {}

  static acquire(logDir: string): DataDirectoryLock {
    const path = join(logDir, '.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return new DataDirectoryLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
        if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
          throw new Error(
            `${logDir} is in use by another broker (pid ${owner}); stop it or choose another log.dirs.`,
          );
        }
        rmSync(path, { force: true });
      }
    }
    throw new Error(`could not lock ${logDir}`);
  }

  release(): void {
    rmSync(this.path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
