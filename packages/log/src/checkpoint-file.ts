import fs from 'node:fs';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-file.js';
import { Limits } from './limits.js';

/** How one entry of a checkpoint file is written as a line and read back. */
export interface CheckpointFormat<T> {
  toLine(entry: T): string;
  /** The entry on `line`, or null if the line is malformed. */
  fromLine(line: string): T | null;
}

export class CheckpointFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointFormatError';
  }
}

/**
 * A checkpoint file in Kafka's text format:
 *
 *   0              version
 *   2              number of entries
 *   <entry>        one per line, fields separated by single spaces
 *   <entry>
 *
 * Written atomically (temp file, fsync, rename, fsync the directory), so a reader sees the old or the
 * new contents. Reading a file that does not parse throws CheckpointFormatError naming the line.
 *
 * Concurrency: one writer at a time (both writes use the same temp file); owners serialize their writes.
 */
export class CheckpointFile<T> {
  static readonly VERSION = 0;

  constructor(
    readonly filePath: string,
    private readonly format: CheckpointFormat<T>,
  ) {}

  /** The entries, or null if the file does not exist. */
  read(): T[] | null {
    let text: string;
    try {
      const stat = fs.statSync(this.filePath);
      if (stat.size > Limits.MAX_CHECKPOINT_FILE_BYTES) {
        throw new CheckpointFormatError(`${this.filePath} is ${stat.size} bytes, over the limit`);
      }
      text = fs.readFileSync(this.filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return this.parse(text);
  }

  writeSync(entries: readonly T[]): void {
    writeFileAtomicSync(this.filePath, this.render(entries));
  }

  write(entries: readonly T[]): Promise<void> {
    return writeFileAtomic(this.filePath, this.render(entries));
  }

  private render(entries: readonly T[]): string {
    const lines = [String(CheckpointFile.VERSION), String(entries.length)];
    for (const entry of entries) lines.push(this.format.toLine(entry));
    return `${lines.join('\n')}\n`;
  }

  private parse(text: string): T[] {
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const fail = (lineNumber: number, what: string): never => {
      throw new CheckpointFormatError(`${this.filePath} line ${lineNumber}: ${what}`);
    };
    if (lines.length < 2) fail(lines.length + 1, 'expected a version line and a count line');
    if (lines[0].trim() !== String(CheckpointFile.VERSION)) {
      fail(1, `unsupported version "${lines[0]}", expected ${CheckpointFile.VERSION}`);
    }
    const count = Number(lines[1].trim());
    if (!Number.isSafeInteger(count) || count < 0) fail(2, `invalid entry count "${lines[1]}"`);
    if (lines.length - 2 !== count) fail(2, `declares ${count} entries but ${lines.length - 2} follow`);
    const entries: T[] = [];
    for (let i = 2; i < lines.length; i++) {
      const entry = this.format.fromLine(lines[i].trim());
      if (entry === null) fail(i + 1, `malformed entry "${lines[i]}"`);
      entries.push(entry as T);
    }
    return entries;
  }
}

/** Parses a non-negative safe integer field, or returns null. */
export function parseOffsetField(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/** Parses an integer field that may be negative, or returns null. */
export function parseIntegerField(text: string): number | null {
  if (!/^-?\d+$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}
