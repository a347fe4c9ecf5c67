import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BROKER_NODE_FLAGS, missingNodeFlags } from './node-flags.js';

describe('the broker’s Node flags', () => {
  it('are what the executable’s first line gives node', () => {
    const firstLine = readFileSync(new URL('./main.ts', import.meta.url), 'utf8').split('\n', 1)[0];
    expect(firstLine).toBe(`#!/usr/bin/env -S node ${BROKER_NODE_FLAGS.join(' ')}`);
  });

  it('are missing unless given, with any value', () => {
    expect(missingNodeFlags([])).toEqual(BROKER_NODE_FLAGS);
    expect(missingNodeFlags(['--inspect'])).toEqual(BROKER_NODE_FLAGS);
    expect(missingNodeFlags([...BROKER_NODE_FLAGS])).toEqual([]);
    expect(missingNodeFlags(['--initial-old-space-size=512'])).toEqual([]);
    expect(missingNodeFlags(['--initial-old-space-size-extra=1'])).toEqual(BROKER_NODE_FLAGS);
  });
});
