import type { RandomSource } from './clock.js';

/**
 * Exponential backoff with full jitter: before retry `attempt` (0 for the first retry) wait a uniformly
 * random time in [0, min(maxMs, baseMs * 2^attempt)). Full jitter spreads the retries of many clients that
 * failed together, so they do not come back together.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: RandomSource): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 52));
  return Math.floor(random() * ceiling);
}
