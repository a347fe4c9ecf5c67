import { BrandedError, hasBrand } from '@sluice/network';

/** Errors of the consumer itself, each branded (BrandedError) so `isInstance` works across two copies. */

/**
 * A partition has no position to start from: no offset was given and autoOffsetReset is 'none' (or the
 * position fell out of range with 'none').
 */
export class NoOffsetForPartitionError extends BrandedError {
  static override readonly brand = 'sluice.consumer.NoOffsetForPartitionError';
  override readonly name = 'NoOffsetForPartitionError';
  readonly retriable = false;

  constructor(readonly location: string) {
    super(`${location}: no offset to start from, and autoOffsetReset is 'none'`);
  }

  static override isInstance(value: unknown): value is NoOffsetForPartitionError {
    return hasBrand(value, NoOffsetForPartitionError.brand);
  }
}

/**
 * A commit the group refused because this member's generation is over (ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID): the group rebalanced, and the partitions may be another member's
 * now, which will read again from the offsets committed before.
 */
export class CommitFailedError extends BrandedError {
  static override readonly brand = 'sluice.consumer.CommitFailedError';
  override readonly name = 'CommitFailedError';
  readonly retriable = false;

  static override isInstance(value: unknown): value is CommitFailedError {
    return hasBrand(value, CommitFailedError.brand);
  }
}

/** A call that the consumer's mode does not allow: `assign` while subscribed, `subscribe` without a groupId, ... */
export class IllegalStateError extends BrandedError {
  static override readonly brand = 'sluice.consumer.IllegalStateError';
  override readonly name = 'IllegalStateError';
  readonly retriable = false;

  static override isInstance(value: unknown): value is IllegalStateError {
    return hasBrand(value, IllegalStateError.brand);
  }
}
