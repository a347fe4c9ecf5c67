import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDirectory, removeTempDirectory } from '../test/temp-directory.js';
import { OffsetIndex } from './offset-index.js';

describe('OffsetIndex', () => {
  let directory: string;
  let filePath: string;
  beforeEach(() => {
    directory = makeTempDirectory();
    filePath = path.join(directory, '00000000000000000100.index');
  });
  afterEach(() => removeTempDirectory(directory));

  it('finds the greatest entry at or below an offset, and position 0 before the first entry', () => {
    const index = new OffsetIndex(filePath, 100);
    index.append(110, 500);
    index.append(120, 1000);
    index.append(135, 2000);
    expect(index.lookup(105)).toBe(0);
    expect(index.lookup(110)).toBe(500);
    expect(index.lookup(119)).toBe(500);
    expect(index.lookup(120)).toBe(1000);
    expect(index.lookup(10_000)).toBe(2000);
    expect(index.lastOffset).toBe(135);
    index.close();
  });

  it('writes entries as 8-byte big-endian relative offset and position, and loads them back', () => {
    const index = new OffsetIndex(filePath, 100);
    index.append(110, 500);
    index.append(120, 1000);
    index.writePending();
    index.close();
    const bytes = fs.readFileSync(filePath);
    expect(bytes.toString('hex')).toBe('0000000a000001f4' + '00000014000003e8');
    const loaded = OffsetIndex.load(filePath, 100, 5000);
    expect(loaded.kind).toBe('loaded');
    if (loaded.kind === 'loaded') {
      expect(loaded.index.entryCount).toBe(2);
      expect(loaded.index.lookup(125)).toBe(1000);
    }
  });

  it('truncation drops entries at or above the offset in memory and in the file', () => {
    const index = new OffsetIndex(filePath, 100);
    for (let i = 1; i <= 5; i++) index.append(100 + i * 10, i * 100);
    index.writePending();
    index.truncateTo(130);
    expect(index.entryCount).toBe(2);
    expect(index.lastOffset).toBe(120);
    expect(fs.statSync(filePath).size).toBe(16);
    index.close();
  });

  it('refuses entries that do not increase', () => {
    const index = new OffsetIndex(filePath, 100);
    index.append(110, 500);
    expect(() => index.append(110, 600)).toThrow(/must increase/);
    expect(() => index.append(120, 400)).toThrow(/must increase/);
  });

  it('fails its check when the file is torn, out of order, or points beyond the log', () => {
    fs.writeFileSync(filePath, Buffer.alloc(12));
    expect(OffsetIndex.load(filePath, 100, 5000)).toMatchObject({
      kind: 'failed',
      problem: expect.stringMatching(/multiple of 8/),
    });
    const outOfOrder = Buffer.alloc(16);
    outOfOrder.writeUInt32BE(20, 0);
    outOfOrder.writeUInt32BE(100, 4);
    outOfOrder.writeUInt32BE(10, 8);
    outOfOrder.writeUInt32BE(200, 12);
    fs.writeFileSync(filePath, outOfOrder);
    expect(OffsetIndex.load(filePath, 100, 5000)).toMatchObject({
      kind: 'failed',
      problem: expect.stringMatching(/increase/),
    });
    const beyond = Buffer.alloc(8);
    beyond.writeUInt32BE(10, 0);
    beyond.writeUInt32BE(9000, 4);
    fs.writeFileSync(filePath, beyond);
    expect(OffsetIndex.load(filePath, 100, 5000)).toMatchObject({
      kind: 'failed',
      problem: expect.stringMatching(/beyond/),
    });
    fs.rmSync(filePath);
    expect(OffsetIndex.load(filePath, 100, 5000)).toMatchObject({
      kind: 'failed',
      problem: expect.stringMatching(/missing/),
    });
  });
});
