import { removeDirectory, temporaryDirectory } from '@sluice/test-support';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker.js';
import { resolveBrokerConfig } from '../src/config/broker-config.js';
import { kcat } from './helpers.js';

describe("the broker's log lines", () => {
  const directories: string[] = [];

  afterEach(() => {
    for (const directory of directories.splice(0)) removeDirectory(directory);
  });

  it('name one component each and say nothing of the coordination store directory, start after start', async () => {
    const dataDir = temporaryDirectory();
    directories.push(dataDir);
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug', base: { service: 'sluice-broker' } },
      { write: (line: string) => lines.push(line) },
    );
    const config = resolveBrokerConfig(
      new Map([
        ['listeners', 'PLAINTEXT://127.0.0.1:0'],
        ['log.dirs', dataDir],
        ['metrics.port', '-1'],
        ['offsets.topic.num.partitions', '2'],
        ['offsets.topic.replication.factor', '1'],
      ]),
    );
    for (let start = 1; start <= 2; start++) {
      const broker = await Broker.start(config, logger);
      try {
        await kcat(`127.0.0.1:${broker.port}`, ['-P', '-t', 'logged'], `start ${start}\n`);
      } finally {
        await broker.shutdown();
      }
    }

    const components = new Set<string>();
    for (const line of lines) {
      // The raw line: a key given twice would be lost by JSON.parse.
      expect(line.match(/"component":/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
      const component = (JSON.parse(line) as { component?: string }).component;
      if (component !== undefined) components.add(component);
    }
    expect([...components]).toEqual(
      expect.arrayContaining([
        'coordination-store',
        'session',
        'log-manager',
        'log',
        'groups',
        'group-coordinator',
      ]),
    );
    const warnings = lines
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level >= 40);
    expect(warnings).toEqual([]);
  });
});
