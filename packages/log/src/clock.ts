/** Wall-clock time in milliseconds since the epoch; injected so tests decide what "now" is. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
