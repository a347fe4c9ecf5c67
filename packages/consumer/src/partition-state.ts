import type { CompletedFetch } from './completed-fetch.js';

/** Where a partition's reading stands. */
export type PositionState =
  /** The next offset to fetch and to deliver are known. */
  | { readonly kind: 'positioned' }
  /** An offset must be looked up (ListOffsets) before fetching: the earliest or the latest. */
  | { readonly kind: 'reset-needed'; readonly strategy: 'earliest' | 'latest' }
  /** A lookup is in flight. */
  | { readonly kind: 'resetting'; readonly strategy: 'earliest' | 'latest' }
  /** No way to start (autoOffsetReset 'none'); the error is delivered to the application. */
  | { readonly kind: 'failed'; readonly error: Error }
  /** Newly assigned to a group member: waits for the group's committed offset (or a seek). */
  | { readonly kind: 'awaiting-committed' };

/**
 * One assigned partition. `fetchOffset` is the next offset to fetch; `position` the next offset to hand to
 * the application (it trails fetchOffset by what is buffered); `consumedOffset` the offset up to which the
 * application is done (it trails position by what is in the application's hands). A seek or reset bumps
 * `generation`, so that fetches started before it are thrown away when they arrive.
 *
 * Invariant: consumedOffset <= position <= fetchOffset while positioned (a seek sets all three).
 */
export class PartitionState {
  state: PositionState;
  position = 0;
  fetchOffset = 0;
  generation = 0;
  paused = false;
  /** A fetch including this partition is in flight. */
  fetching = false;
  /** Fetched data waiting for the application, oldest first. */
  readonly buffered: CompletedFetch<unknown>[] = [];
  highWatermark = -1;
  logStartOffset = -1;
  /** Not fetched again before this time (ms), after an error. */
  retryAtMs = 0;
  /** Errors in a row, for the backoff. */
  failures = 0;
  /**
   * The application is done with every record before this offset (it asked for the next record, or its
   * handler returned); -1 until the partition has a position. Auto commit commits this.
   */
  consumedOffset = -1;
  /** The group's committed offset as this consumer last read or wrote it; -1 for none known. */
  committedOffset = -1;
  /** Records or batches handed to a handler (eachRecord, eachBatch, batches()) that has not finished. */
  inHand = 0;
  /** Records handed out by a records() iterator that has not been asked for the next one yet. */
  heldByIterators = 0;
  /** Being given up in a rebalance: nothing more is fetched or handed out. */
  revoking = false;
  /** Retry topics: not fetched or handed out before this time (ms), the not-before time of its next record. */
  delayedUntilMs = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    state: PositionState,
  ) {
    this.state = state;
  }

  get key(): string {
    return `${this.topic}\u0000${this.partition}`;
  }

  /** Moves to `offset`: what is buffered or in flight is dropped. */
  seek(offset: number): void {
    this.position = offset;
    this.fetchOffset = offset;
    this.consumedOffset = offset;
    this.generation++;
    this.buffered.length = 0;
    this.state = { kind: 'positioned' };
  }

  /** Asks for an offset lookup: what is buffered or in flight is dropped. */
  reset(strategy: 'earliest' | 'latest'): void {
    this.generation++;
    this.buffered.length = 0;
    this.state = { kind: 'reset-needed', strategy };
  }
}

export { partitionKey } from './topic-partition.js';
