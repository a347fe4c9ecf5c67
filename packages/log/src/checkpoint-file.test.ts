import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDirectory, removeTempDirectory } from '../test/temp-directory.js';
import {
  CheckpointFile,
  type CheckpointFormat,
  CheckpointFormatError,
  parseOffsetField,
} from './checkpoint-file.js';

interface Entry {
  name: string;
  offset: number;
}
const format: CheckpointFormat<Entry> = {
  toLine: (entry) => `${entry.name} ${entry.offset}`,
  fromLine: (line) => {
    const [name, offsetText, extra] = line.split(' ');
    const offset = parseOffsetField(offsetText ?? '');
    return name && offset !== null && extra === undefined ? { name, offset } : null;
  },
};

describe('CheckpointFile', () => {
  let directory: string;
  let file: CheckpointFile<Entry>;
  beforeEach(() => {
    directory = makeTempDirectory();
    file = new CheckpointFile(path.join(directory, 'checkpoint'), format);
  });
  afterEach(() => removeTempDirectory(directory));

  it("writes Kafka's text format: version, count, one entry per line", async () => {
    await file.write([
      { name: 'a', offset: 1 },
      { name: 'b', offset: 42 },
    ]);
    expect(fs.readFileSync(file.filePath, 'utf8')).toBe('0\n2\na 1\nb 42\n');
    expect(file.read()).toEqual([
      { name: 'a', offset: 1 },
      { name: 'b', offset: 42 },
    ]);
  });

  it('replaces the file atomically and leaves no temporary file behind', async () => {
    file.writeSync([{ name: 'a', offset: 1 }]);
    await file.write([{ name: 'a', offset: 2 }]);
    expect(file.read()).toEqual([{ name: 'a', offset: 2 }]);
    expect(fs.readdirSync(directory)).toEqual(['checkpoint']);
  });

  it('reads a missing file as null', () => {
    expect(file.read()).toBeNull();
  });

  it('refuses a file whose count, version or entries do not parse, naming the line', () => {
    fs.writeFileSync(file.filePath, '0\n3\na 1\n');
    expect(() => file.read()).toThrow(CheckpointFormatError);
    fs.writeFileSync(file.filePath, '1\n0\n');
    expect(() => file.read()).toThrow(/line 1: unsupported version/);
    fs.writeFileSync(file.filePath, '0\n1\na x\n');
    expect(() => file.read()).toThrow(/line 3: malformed entry/);
  });
});
