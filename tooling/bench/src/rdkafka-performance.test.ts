import { describe, expect, it } from 'vitest';
import { lastStatisticsRow } from './rdkafka-performance.js';

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
