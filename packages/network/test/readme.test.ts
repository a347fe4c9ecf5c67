import * as sluiceBroker from '@sluice/broker';
import { startSluiceBroker } from '@sluice/test-support';
import { describeReadme } from '@sluice/test-support/vitest';
import { expect, it } from 'vitest';
import { networkOptionTable } from '../src/index.js';
import { describeOptions } from '../src/options.js';

describeReadme(
  {
    readme: new URL('../README.md', import.meta.url),
    start: () => startSluiceBroker(sluiceBroker),
    optionTable: () => describeOptions(networkOptionTable),
  },
  (readme, broker) => {
    it('has an example that runs against a broker and prints what it says', async () => {
      const { stdout } = await readme.runExample(0, broker.bootstrap);
      expect(stdout).toContain('ListOffsets version in use: 2');
      expect(stdout).toContain('next offset of partition 0: 0');
      expect(stdout).toContain('controller: 1');
    });
  },
);
