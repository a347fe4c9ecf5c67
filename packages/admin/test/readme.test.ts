import * as sluiceBroker from '@sluice/broker';
import { describeOptions, networkOptionTable } from '@sluice/network';
import { Apis } from '@sluice/protocol';
import { startSluiceBroker } from '@sluice/test-support';
import { describeReadme } from '@sluice/test-support/vitest';
import { expect, it } from 'vitest';
import { adminOptionTable } from '../src/index.js';

const servesGroups = [Apis.FindCoordinator, Apis.ListGroups, Apis.DescribeGroups, Apis.OffsetCommit].every(
  (api) => sluiceBroker.brokerHandlers().some((handler) => handler.api.apiKey === api.apiKey),
);

describeReadme(
  {
    readme: new URL('../README.md', import.meta.url),
    start: () => startSluiceBroker(sluiceBroker),
    optionTable: () => describeOptions(adminOptionTable, Object.keys(networkOptionTable)),
  },
  (readme, broker) => {
    it('has an example that runs against a broker and prints what it says', async () => {
      const { stdout } = await readme.runExample(0, broker.bootstrap);
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
        const { stdout } = await readme.runExample(1, broker.bootstrap);
        expect(stdout.trim().split('\n')).toEqual([
          'replayer: Empty, 0 member(s)',
          'admin-groups/0: 0 -> 0',
          'admin-groups/1: 0 -> 0',
          'committed: 2',
        ]);
      },
    );
  },
);
