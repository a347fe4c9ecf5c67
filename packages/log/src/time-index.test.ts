import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDirectory, removeTempDirectory } from '../test/temp-directory.js';
import { TimeIndex } from './time-index.js';

describe('TimeIndex', () => {
  let directory: string;
  let filePath: string;
  beforeEach(() => {
    directory = makeTempDirectory();
    filePath = path.join(directory, '00000000000000000000.timeindex');
  });
  afterEach(() => removeTempDirectory(directory));

  it('adds an entry only when the timestamp grows', () => {
    const index = new TimeIndex(filePath, 0);
    index.maybeAppend(1000, 5);
    index.maybeAppend(1000, 9);
    index.maybeAppend(900, 12);
    index.maybeAppend(2000, 20);
    expect(index.entryCount).toBe(2);
    expect(index.lastTimestamp).toBe(2000);
    expect(index.lastOffset).toBe(20);
  });

  it('points a search at the last entry strictly below the target timestamp', () => {
    const index = new TimeIndex(filePath, 0);
    index.maybeAppend(1000, 5);
    index.maybeAppend(2000, 20);
    index.maybeAppend(3000, 40);
    expect(index.lookup(500)).toBe(0);
    expect(index.lookup(1000)).toBe(0);
    expect(index.lookup(1001)).toBe(5);
    expect(index.lookup(2500)).toBe(20);
    expect(index.lookup(9999)).toBe(40);
  });

  it('round-trips 12-byte entries, negative timestamps included, and truncates by offset', () => {
    const index = new TimeIndex(filePath, 0);
    index.maybeAppend(-5, 1);
    index.maybeAppend(1_700_000_000_123, 7);
    index.maybeAppend(1_700_000_000_999, 9);
    index.writePending();
    index.close();
    expect(fs.statSync(filePath).size).toBe(36);
    const loaded = TimeIndex.load(filePath, 0);
    expect(loaded.kind).toBe('loaded');
    if (loaded.kind !== 'loaded') return;
    expect(loaded.index.lookup(1_700_000_000_124)).toBe(7);
    loaded.index.truncateTo(9);
    expect(loaded.index.lastTimestamp).toBe(1_700_000_000_123);
    expect(fs.statSync(filePath).size).toBe(24);
    loaded.index.close();
  });

  it('fails its check on a torn file or decreasing timestamps', () => {
    fs.writeFileSync(filePath, Buffer.alloc(13));
    expect(TimeIndex.load(filePath, 0).kind).toBe('failed');
    const decreasing = Buffer.alloc(24);
    decreasing.writeBigInt64BE(2000n, 0);
    decreasing.writeUInt32BE(1, 8);
    decreasing.writeBigInt64BE(1000n, 12);
    decreasing.writeUInt32BE(2, 20);
    fs.writeFileSync(filePath, decreasing);
    expect(TimeIndex.load(filePath, 0)).toMatchObject({
      kind: 'failed',
      problem: expect.stringMatching(/increase/),
    });
  });
});
