import { readFileSync } from 'node:fs';
import { brokerHandlers } from '@sluice/broker';
import { describeOptions, networkOptionTable } from '@sluice/network';
import { Apis } from '@sluice/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  missingTableRows,
  readmeExamples,
  runExample,
  typecheckExamples,
} from '../../network/test/support/readme-examples.js';
import { type InProcessBroker, startSluiceBroker } from '../../network/test/support/sluice-broker.js';
import { adminOptionTable } from '../src/index.js';

const README = new URL('../README.md', import.meta.url).pathname;
const servesGroups = [Apis.FindCoordinator, Apis.ListGroups, Apis.DescribeGroups, Apis.OffsetCommit].every(
  (api) => brokerHandlers().some((handler) => handler.api.apiKey === api.apiKey),
);

describe('the README', () => {
  let broker: InProcessBroker;

  beforeAll(async () => {
    broker = await startSluiceBroker();
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it("documents the admin's options as the table says", () => {
    const table = describeOptions(adminOptionTable, Object.keys(networkOptionTable));
    expect(missingTableRows(readFileSync(README, 'utf8'), table)).toEqual([]);
  });

  it('has examples that type-check', async () => {
    await typecheckExamples(readmeExamples(README));
  });

  it('has an example that runs against a broker and prints what it says', async () => {
    const [example] = readmeExamples(README);
    const { stdout } = await runExample(example, broker.bootstrap);
    expect(stdout.trim().split('\n')).toEqual([
      `cluster ${broker.broker.clusterId}: 1 broker(s), controller 1`,
      'TOPIC_ALREADY_EXISTS at topics/admin-example',
      'partitions: 0@1 1@1 2@1',
      'retention.ms = 86400000 (dynamic-topic-config)',
      'offsets: 0 0 -1',
      'topics: true',
    ]);
  });

  it.skipIf(!servesGroups)(
    'has a group example that runs against a broker and prints what it says',
    async () => {
      const [, example] = readmeExamples(README);
      const { stdout } = await runExample(example, broker.bootstrap);
      expect(stdout.trim().split('\n')).toEqual([
        'replayer: Empty, 0 member(s)',
        'admin-groups/0: 0 -> 0',
        'admin-groups/1: 0 -> 0',
        'committed: 2',
      ]);
    },
  );
});
