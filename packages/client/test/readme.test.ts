import * as sluiceBroker from '@sluice/broker';
import { startSluiceBroker } from '@sluice/test-support';
import { describeReadme } from '@sluice/test-support/vitest';
import { expect, it } from 'vitest';

describeReadme(
  { readme: new URL('../README.md', import.meta.url), start: () => startSluiceBroker(sluiceBroker) },
  (readme, broker) => {
    it('has an example that runs against a broker and prints what it says', async () => {
      const { stdout } = await readme.runExample(0, broker.bootstrap);
      const [positions, ...records] = stdout.trim().split('\n');
      expect(positions).toMatch(/^[0-2]:\d+ [0-2]:\d+$/);
      expect(records.sort()).toEqual([
        'order-1 {"amount":25,"currency":"EUR"}',
        'order-2 {"amount":40,"currency":"EUR"}',
      ]);
    });
  },
);
