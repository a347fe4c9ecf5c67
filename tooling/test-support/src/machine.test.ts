import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { machineLine } from './machine.js';

describe('machineLine', () => {
  it('names the cpu, the cores and the node version, and the load averages when asked', () => {
    expect(machineLine()).toBe(
      `${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, node ${process.version}`,
    );
    expect(machineLine({ loadAverage: true })).toMatch(
      new RegExp(
        `^${machineLine().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, load average \\d+\\.\\d\\d \\d+\\.\\d\\d \\d+\\.\\d\\d$`,
      ),
    );
  });
});
