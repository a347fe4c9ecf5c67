import * as sluiceBroker from '@sluice/broker';
import { describeOptions, networkOptionTable } from '@sluice/network';
import { startSluiceBroker } from '@sluice/test-support';
import { describeReadme } from '@sluice/test-support/vitest';
import { expect, it } from 'vitest';
import { consumerOptionTable } from '../src/index.js';

describeReadme(
  {
    readme: new URL('../README.md', import.meta.url),
    start: () => startSluiceBroker(sluiceBroker),
    optionTable: () => describeOptions(consumerOptionTable, Object.keys(networkOptionTable)),
  },
  (readme, broker) => {
    it('has an example that runs against a broker and prints what it says', async () => {
      const { stdout } = await readme.runExample(0, broker.bootstrap);
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
      const { stdout } = await readme.runExample(1, broker.bootstrap);
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
  },
);
