import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastStatisticsRow, runRdkafkaPerformance } from './rdkafka-performance.js';
import { removeDirectory, temporaryDirectory } from './temporary-directory.js';

/** What `rdkafka_performance -P -u` prints (librdkafka 2.0.2), trimmed to its table. */
const PACED_PRODUCER_OUTPUT = `% Sending 60000 messages of size 100 bytes
|    elapsed |       msgs |      bytes |        rtt |         dr |     dr_m/s |    dr_MB/s |     dr_err |     tx_err |       outq |     offset |   lat_curr |
|       1000 |      24531 |    2453100 |          0 |      24517 |      24516 |       2.45 |          0 |          0 |         14 |      24516 |       0.33 |
|       2000 |      52567 |    5256700 |         63 |      52446 |      26222 |       2.62 |          0 |          0 |        121 |      52445 |       4.09 |
|       2289 |      60000 |    6000000 |          2 |      60000 |      26209 |       2.62 |          0 |          0 |          0 |      59999 |       0.24 |
`;

describe('reading rdkafka_performance statistics', () => {
  it('takes the totals from the last row', () => {
    const row = lastStatisticsRow(PACED_PRODUCER_OUTPUT);
    expect(row.elapsed).toBe(2289);
    expect(row.dr).toBe(60000);
  });

  it('fails loudly when there is no table', () => {
    expect(() => lastStatisticsRow('% ERROR: broker transport failure')).toThrow(/no statistics/);
  });
});

describe('running rdkafka_performance', () => {
  let directory: string;
  let binary: string;

  beforeAll(() => {
    directory = temporaryDirectory('sluice-test-support-');
    binary = join(directory, 'rdkafka_performance');
    // Prints its arguments, then a statistics table like rdkafka_performance's; fails when asked to.
    writeFileSync(
      binary,
      [
        '#!/bin/sh',
        'echo "args: $*" >&2',
        'case "$*" in *fail*) echo "% ERROR: broker transport failure" >&2; exit 1;; esac',
        'echo "|    elapsed |       msgs |         dr |"',
        'echo "|       1000 |        500 |        500 |"',
        'echo "|       1500 |        800 |        800 |"',
      ].join('\n'),
    );
    chmodSync(binary, 0o755);
  });

  afterAll(() => removeDirectory(directory));

  it('asks for statistics, quietly, and returns the last row', async () => {
    const row = await runRdkafkaPerformance(binary, ['-P', '-t', 'topic']);
    expect(row).toEqual({ elapsed: 1500, msgs: 800, dr: 800 });
  });

  it('rejects with the end of its stderr when it fails, naming the mode', async () => {
    await expect(runRdkafkaPerformance(binary, ['-C', '-t', 'fail'])).rejects.toThrow(
      /rdkafka_performance -C failed: args: -C -t fail -u -q\n% ERROR: broker transport failure/,
    );
  });
});
