const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time given on the command line, as ms since the epoch: an integer (ms since the epoch), an ISO
 * 8601 date or date-time (`2024-05-01`, `2024-05-01T12:00:00Z`; without a zone, local time), or a time
 * before now (`-15m`, `-2h`, `-1d`, `-30s`, `-500ms`). Throws a message naming what it wanted.
 */
export function parseTime(text: string, nowMs: number): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const relative = /^-(\d+)(ms|s|m|h|d)$/.exec(trimmed);
  if (relative) return nowMs - Number(relative[1]) * UNIT_MS[relative[2]];
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const parsed = Date.parse(trimmed);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new RangeError(
    `"${text}" is not a time: give ms since the epoch, an ISO date-time such as 2024-05-01T12:00:00Z, or a time ago such as -15m, -2h, -1d`,
  );
}
