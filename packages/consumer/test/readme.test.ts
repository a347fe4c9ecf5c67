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
import { consumerOptionTable } from '../src/index.js';

const README = new URL('../README.md', import.meta.url).pathname;

describe('the README', () => {
  let broker: InProcessBroker;

  beforeAll(async () => {
    broker = await startSluiceBroker();
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it("documents the consumer's options as the table says", () => {
    const table = describeOptions(consumerOptionTable, Object.keys(networkOptionTable));
    expect(missingTableRows(readFileSync(README, 'utf8'), table)).toEqual([]);
  });

  it('has examples that type-check', async () => {
    await typecheckExamples(readmeExamples(README));
  });

  it('has an example that runs against a broker and prints what it says', async () => {
    const [example] = readmeExamples(README);
    const { stdout } = await runExample(example, broker.bootstrap);
    const lines = stdout.trim().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      '0 2 k2 {"i":2}',
      '0 3 k3 {"i":3}',
      '0 4 k4 {"i":4}',
      '0 5 k5 {"i":5}',
      'position: 6',
    ]);
    expect(lines.slice(5)).toEqual(['batch of 10, lag 0']);
  });

  it('has a consumer-group example that runs, retries a bad record and dead-letters it', async () => {
    const [, example] = readmeExamples(README);
    const { stdout } = await runExample(example, broker.bootstrap);
    expect(stdout.trim().split('\n')).toEqual([
      'assigned: payments-0, payments-retry-0',
      'handled p1',
      'handled p2',
      'attempt 1 failed, sent to payments-retry',
      'handled p3',
      'attempt 2 failed, sent to payments-dead',
      'committed: 4',
    ]);
  });
});
