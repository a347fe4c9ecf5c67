import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkOptionTable } from '../src/index.js';
import { describeOptions } from '../src/options.js';
import {
  missingTableRows,
  readmeExamples,
  runExample,
  typecheckExamples,
} from './support/readme-examples.js';
import { type InProcessBroker, startSluiceBroker } from './support/sluice-broker.js';

const README = new URL('../README.md', import.meta.url).pathname;

describe('the README', () => {
  let broker: InProcessBroker;

  beforeAll(async () => {
    broker = await startSluiceBroker();
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('documents every shared option as the table says', () => {
    expect(missingTableRows(readFileSync(README, 'utf8'), describeOptions(networkOptionTable))).toEqual([]);
  });

  it('has examples that type-check', async () => {
    await typecheckExamples(readmeExamples(README));
  });

  it('has an example that runs against a broker and prints what it says', async () => {
    const [example] = readmeExamples(README);
    const { stdout } = await runExample(example, broker.bootstrap);
    expect(stdout).toContain('ListOffsets version in use: 2');
    expect(stdout).toContain('next offset of partition 0: 0');
    expect(stdout).toContain('controller: 1');
  });
});
