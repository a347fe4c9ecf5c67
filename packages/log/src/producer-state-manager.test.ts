import fs from 'node:fs';
import path from 'node:path';
import { InvalidProducerEpochError, OutOfOrderSequenceNumberError } from '@sluice/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDirectory, removeTempDirectory, testLogger } from '../test/temp-directory.js';
import { lastSequenceOf, type PendingProducers, ProducerStateManager } from './producer-state-manager.js';

describe('ProducerStateManager', () => {
  let directory: string;
  let state: ProducerStateManager;
  beforeEach(() => {
    directory = makeTempDirectory();
    state = new ProducerStateManager(directory, testLogger);
  });
  afterEach(() => removeTempDirectory(directory));

  const check = (
    producerId: number,
    epoch: number,
    first: number,
    last: number,
    pending: PendingProducers = new Map(),
  ) => state.checkBatch(producerId, epoch, first, last, pending);

  it('accepts an unknown producer at any sequence, then requires the next one', () => {
    expect(check(7, 0, 42, 44)).toBeNull();
    state.update(7, 0, 42, 44, 100, 102, 1);
    expect(check(7, 0, 45, 45)).toBeNull();
    expect(() => check(7, 0, 47, 47)).toThrow(OutOfOrderSequenceNumberError);
    expect(() => check(7, 0, 47, 47)).toThrow(/expected sequence 45, got 47/);
  });

  it('recognises a retry of any of the last five batches and returns its offsets', () => {
    for (let i = 0; i < 7; i++) state.update(1, 0, i * 2, i * 2 + 1, 100 + i * 2, 101 + i * 2, 1000 + i);
    // batches 2..6 are remembered
    expect(check(1, 0, 4, 5)).toMatchObject({ firstOffset: 104, lastOffset: 105 });
    expect(check(1, 0, 12, 13)).toMatchObject({ firstOffset: 112, lastOffset: 113 });
    // batch 1 was forgotten: a retry of it is out of order
    expect(() => check(1, 0, 2, 3)).toThrow(OutOfOrderSequenceNumberError);
    // same first sequence but another range is not a duplicate
    expect(() => check(1, 0, 4, 9)).toThrow(OutOfOrderSequenceNumberError);
  });

  it('fences an older epoch and requires sequence 0 for a new one', () => {
    state.update(3, 5, 0, 9, 0, 9, 1);
    expect(() => check(3, 4, 10, 10)).toThrow(InvalidProducerEpochError);
    expect(() => check(3, 6, 10, 10)).toThrow(/new epoch 6 must start at sequence 0/);
    expect(check(3, 6, 0, 0)).toBeNull();
  });

  it('checks later batches of one append against earlier ones', () => {
    const pending: PendingProducers = new Map();
    expect(check(9, 0, 0, 4, pending)).toBeNull();
    expect(check(9, 0, 5, 6, pending)).toBeNull();
    expect(() => check(9, 0, 9, 9, pending)).toThrow(OutOfOrderSequenceNumberError);
  });

  it('wraps sequences from 2^31-1 to 0', () => {
    expect(lastSequenceOf(2 ** 31 - 2, 3)).toBe(1);
    state.update(4, 0, 2 ** 31 - 3, 2 ** 31 - 1, 0, 2, 1);
    expect(check(4, 0, 0, 1)).toBeNull();
  });

  it('writes a snapshot with a CRC and restores all five batches from it', () => {
    for (let i = 0; i < 6; i++) state.update(11, 2, i, i, i, i, 500 + i);
    state.update(12, 0, 0, 3, 6, 9, 600);
    state.takeSnapshot(10);
    const restored = new ProducerStateManager(directory, testLogger);
    expect(restored.loadLatestSnapshot(10)).toBe(10);
    expect(restored.allEntries()).toEqual(state.allEntries());
    expect(restored.checkBatch(11, 2, 3, 3, new Map())).toMatchObject({ firstOffset: 3 });
  });

  it('skips snapshots above the bound and deletes ones that fail their CRC', () => {
    state.update(1, 0, 0, 0, 0, 0, 1);
    state.takeSnapshot(1);
    state.update(1, 0, 1, 1, 1, 1, 2);
    state.takeSnapshot(2);
    state.update(1, 0, 2, 2, 2, 2, 3);
    state.takeSnapshot(3);
    const file2 = path.join(directory, '00000000000000000002.snapshot');
    const bytes = fs.readFileSync(file2);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(file2, bytes);
    const restored = new ProducerStateManager(directory, testLogger);
    expect(restored.loadLatestSnapshot(2)).toBe(1);
    expect(restored.entry(1)?.batches.map((batch) => batch.firstOffset)).toEqual([0]);
    expect(restored.snapshotOffsets()).toEqual([1]);
  });
});
