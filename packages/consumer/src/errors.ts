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

const commitFailedMarker = Symbol.for('sluice.consumer.CommitFailedError');
const illegalStateMarker = Symbol.for('sluice.consumer.IllegalStateError');

/**
 * A commit the group refused because this member's generation is over (ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID): the group rebalanced, and the partitions may be another member's
 * now, which will read again from the offsets committed before.
 */
export class CommitFailedError extends Error {
  readonly [commitFailedMarker] = true;
  override readonly name = 'CommitFailedError';
  readonly retriable = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }

  static isInstance(value: unknown): value is CommitFailedError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[commitFailedMarker] === true
    );
  }
}

/** A call that the consumer's mode does not allow: `assign` while subscribed, `subscribe` without a groupId, ... */
export class IllegalStateError extends Error {
  readonly [illegalStateMarker] = true;
  override readonly name = 'IllegalStateError';
  readonly retriable = false;

  static isInstance(value: unknown): value is IllegalStateError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[illegalStateMarker] === true
    );
  }
}
