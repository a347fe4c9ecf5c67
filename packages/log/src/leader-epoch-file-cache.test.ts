import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDirectory, removeTempDirectory, testLogger } from '../test/temp-directory.js';
import { LeaderEpochFileCache } from './leader-epoch-file-cache.js';

describe('LeaderEpochFileCache', () => {
  let directory: string;
  beforeEach(() => {
    directory = makeTempDirectory();
  });
  afterEach(() => removeTempDirectory(directory));

  function cache(): LeaderEpochFileCache {
    return LeaderEpochFileCache.load(directory, testLogger).cache;
  }

  it('records the first offset of each new epoch and persists it as a checkpoint', () => {
    const epochs = cache();
    epochs.assign(0, 0);
    epochs.assign(0, 10);
    epochs.assign(2, 15);
    epochs.assign(5, 40);
    expect(epochs.latestEpoch).toBe(5);
    expect(fs.readFileSync(path.join(directory, 'leader-epoch-checkpoint'), 'utf8')).toBe(
      '0\n3\n0 0\n2 15\n5 40\n',
    );
    const reloaded = LeaderEpochFileCache.load(directory, testLogger);
    expect(reloaded.status).toBe('loaded');
    expect(reloaded.cache.allEntries()).toEqual(epochs.allEntries());
  });

  it('answers OffsetForLeaderEpoch like Kafka', () => {
    const epochs = cache();
    epochs.assign(1, 0);
    epochs.assign(3, 20);
    epochs.assign(4, 35);
    // the latest epoch ends at the log end offset
    expect(epochs.endOffsetFor(4, 50)).toEqual({ epoch: 4, endOffset: 50 });
    // a known older epoch ends where the next starts
    expect(epochs.endOffsetFor(3, 50)).toEqual({ epoch: 3, endOffset: 35 });
    // an unknown epoch between known ones answers with the largest epoch below it
    expect(epochs.endOffsetFor(2, 50)).toEqual({ epoch: 1, endOffset: 20 });
    // older than everything: the requested epoch, ending at the first entry
    expect(epochs.endOffsetFor(0, 50)).toEqual({ epoch: 0, endOffset: 0 });
    // newer than everything, or undefined: no answer
    expect(epochs.endOffsetFor(9, 50)).toBeNull();
    expect(epochs.endOffsetFor(-1, 50)).toBeNull();
  });

  it('drops entries past a truncation point, and collapses entries before a new log start', () => {
    const epochs = cache();
    epochs.assign(1, 0);
    epochs.assign(2, 10);
    epochs.assign(3, 20);
    epochs.assign(4, 30);
    epochs.truncateFromEnd(20);
    expect(epochs.allEntries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 10 },
    ]);
    epochs.truncateFromStart(15);
    expect(epochs.allEntries()).toEqual([{ epoch: 2, startOffset: 15 }]);
    expect(epochs.epochForOffset(16)).toBe(2);
    expect(epochs.epochForOffset(3)).toBeNull();
  });

  it('replaces entries that a lower epoch or offset contradicts, as Kafka does', () => {
    const epochs = cache();
    epochs.assign(1, 0);
    epochs.assign(5, 50);
    epochs.assign(3, 40);
    expect(epochs.allEntries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 40 },
    ]);
  });

  it('reports a corrupt checkpoint instead of trusting it', () => {
    fs.writeFileSync(path.join(directory, 'leader-epoch-checkpoint'), '0\n2\n3 10\n2 20\n');
    expect(LeaderEpochFileCache.load(directory, testLogger).status).toBe('corrupt');
    fs.writeFileSync(path.join(directory, 'leader-epoch-checkpoint'), 'garbage');
    expect(LeaderEpochFileCache.load(directory, testLogger).status).toBe('corrupt');
    fs.rmSync(path.join(directory, 'leader-epoch-checkpoint'));
    expect(LeaderEpochFileCache.load(directory, testLogger).status).toBe('missing');
  });
});
