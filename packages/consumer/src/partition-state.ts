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
  | { readonly kind: 'failed'; readonly error: Error };

/**
 * One assigned partition. `fetchOffset` is the next offset to fetch; `position` the next offset to hand to
 * the application (it trails fetchOffset by what is buffered). A seek or reset bumps `generation`, so that
 * fetches started before it are thrown away when they arrive.
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

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
