import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeExamples, runExample, typecheckExamples } from '../../network/test/support/readme-examples.js';
import { type InProcessBroker, startSluiceBroker } from '../../network/test/support/sluice-broker.js';

const README = new URL('../README.md', import.meta.url).pathname;

describe('the README', () => {
  let broker: InProcessBroker;

  beforeAll(async () => {
    broker = await startSluiceBroker();
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('has examples that type-check', async () => {
    await typecheckExamples(readmeExamples(README));
  });

  it('has an example that runs against a broker and prints what it says', async () => {
    const [example] = readmeExamples(README);
    const { stdout } = await runExample(example, broker.bootstrap);
    const [positions, ...records] = stdout.trim().split('\n');
    expect(positions).toMatch(/^[0-2]:\d+ [0-2]:\d+$/);
    expect(records.sort()).toEqual([
      'order-1 {"amount":25,"currency":"EUR"}',
      'order-2 {"amount":40,"currency":"EUR"}',
    ]);
  });
});
