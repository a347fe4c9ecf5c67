import * as sluiceBroker from '@sluice/broker';
import { describeOptions, networkOptionTable } from '@sluice/network';
import { startSluiceBroker } from '@sluice/test-support';
import { describeReadme } from '@sluice/test-support/vitest';
import { expect, it } from 'vitest';
import { producerOptionTable } from '../src/index.js';

describeReadme(
  {
    readme: new URL('../README.md', import.meta.url),
    start: () => startSluiceBroker(sluiceBroker, { 'num.partitions': '3' }),
    optionTable: () => describeOptions(producerOptionTable, Object.keys(networkOptionTable)),
  },
  (readme, broker) => {
    it('has examples that run against a broker and print what they say', async () => {
      const sent = await readme.runExample(0, broker.bootstrap);
      const lines = sent.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines.every((line) => /^orders\/[0-2] @ \d+$/.test(line))).toBe(true);
      // Same key, same partition, consecutive offsets.
      const [first, second] = lines.map((line) => line.split(/[/ @]+/));
      expect(second[1]).toBe(first[1]);
      expect(Number(second[2])).toBe(Number(first[2]) + 1);
      const failed = await readme.runExample(1, broker.bootstrap);
      expect(failed.stdout).toContain('refused: a record of');
      expect(failed.stdout).toContain('larger than max.request.size (1000 bytes)');
    });
  },
);
