import { readFileSync } from 'node:fs';
import { describeOptions, networkOptionTable } from '@sluice/network';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  missingTableRows,
  readmeExamples,
  runExample,
  typecheckExamples,
} from '../../network/test/support/readme-examples.js';
import { type InProcessBroker, startSluiceBroker } from '../../network/test/support/sluice-broker.js';
import { producerOptionTable } from '../src/index.js';

const README = new URL('../README.md', import.meta.url).pathname;

describe('the README', () => {
  let broker: InProcessBroker;

  beforeAll(async () => {
    broker = await startSluiceBroker({ 'num.partitions': '3' });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it("documents the producer's options as the table says", () => {
    const table = describeOptions(producerOptionTable, Object.keys(networkOptionTable));
    expect(missingTableRows(readFileSync(README, 'utf8'), table)).toEqual([]);
  });

  it('has examples that type-check', async () => {
    await typecheckExamples(readmeExamples(README));
  });

  it('has examples that run against a broker and print what they say', async () => {
    const [sending, failing] = readmeExamples(README);
    const sent = await runExample(sending, broker.bootstrap);
    const lines = sent.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.every((line) => /^orders\/[0-2] @ \d+$/.test(line))).toBe(true);
    // Same key, same partition, consecutive offsets.
    const [first, second] = lines.map((line) => line.split(/[/ @]+/));
    expect(second[1]).toBe(first[1]);
    expect(Number(second[2])).toBe(Number(first[2]) + 1);
    const failed = await runExample(failing, broker.bootstrap);
    expect(failed.stdout).toContain('refused: a record of');
    expect(failed.stdout).toContain('larger than max.request.size (1000 bytes)');
  });
});
