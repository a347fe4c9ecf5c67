import { describe, expect, it } from 'vitest';
import { parseTime } from './time-spec.js';

const NOW_MS = Date.UTC(2024, 4, 1, 12, 0, 0);

describe('parseTime', () => {
  it('reads ms since the epoch as they are', () => {
    expect(parseTime('1700000000000', NOW_MS)).toBe(1_700_000_000_000);
  });

  it('reads ISO dates and date-times with a zone', () => {
    expect(parseTime('2024-05-01T10:30:00Z', NOW_MS)).toBe(Date.UTC(2024, 4, 1, 10, 30));
    expect(parseTime('2024-05-01T10:30:00.250+02:00', NOW_MS)).toBe(Date.UTC(2024, 4, 1, 8, 30, 0, 250));
    expect(parseTime('2024-05-01', NOW_MS)).toBe(Date.UTC(2024, 4, 1));
  });

  it('reads times before now in each unit', () => {
    expect(parseTime('-500ms', NOW_MS)).toBe(NOW_MS - 500);
    expect(parseTime('-30s', NOW_MS)).toBe(NOW_MS - 30_000);
    expect(parseTime('-15m', NOW_MS)).toBe(NOW_MS - 900_000);
    expect(parseTime('-2h', NOW_MS)).toBe(NOW_MS - 7_200_000);
    expect(parseTime('-1d', NOW_MS)).toBe(NOW_MS - 86_400_000);
  });

  it('refuses anything else with a message that shows the accepted forms', () => {
    for (const text of ['yesterday', '-5y', '2024-13-45', '', '12:00']) {
      expect(() => parseTime(text, NOW_MS)).toThrow(/ISO date-time/);
    }
  });
});
