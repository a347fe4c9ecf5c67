const marker = Symbol.for('sluice.consumer.NoOffsetForPartitionError');

/**
 * A partition has no position to start from: no offset was given and autoOffsetReset is 'none' (or the
 * position fell out of range with 'none').
 */
export class NoOffsetForPartitionError extends Error {
  readonly [marker] = true;
  override readonly name = 'NoOffsetForPartitionError';
  readonly retriable = false;

  constructor(readonly location: string) {
    super(`${location}: no offset to start from, and autoOffsetReset is 'none'`);
  }

  static isInstance(value: unknown): value is NoOffsetForPartitionError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
