import { backoffMs, type Clock, isRetriable, type RandomSource, sleep } from '@sluice/network';

/** Errors that must not be retried even though their kind usually may be. */
const finalErrors = new WeakSet<Error>();

/** Marks an error as final for retryItems (e.g. a topic the metadata says does not exist). */
export function markFinal<E extends Error>(error: E): E {
  finalErrors.add(error);
  return error;
}

function mayRetry(error: unknown, retriable: (error: Error) => boolean = isRetriable): boolean {
  return error instanceof Error && !finalErrors.has(error) && retriable(error);
}

export interface ItemRetryPolicy {
  readonly deadlineMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly signal?: AbortSignal;
  /** Called before each backoff (e.g. to refresh metadata). */
  readonly onRetry?: () => void;
  /** Which item errors are worth another round; default `isRetriable`. */
  readonly retriable?: (error: Error) => boolean;
}

/**
 * Runs an operation on many items (topics, partitions, resources) where each item succeeds or fails on its
 * own: each round sends the items still pending, keeps the outcomes that are final, and sends again after a
 * backoff those that failed with a retriable error (or whose whole request failed), until none is left or
 * the deadline comes, when the last errors stand. Items that already succeeded are never sent again, so a
 * retry never turns "created" into "already exists".
 */
export async function retryItems<Item, Outcome>(
  items: readonly Item[],
  send: (pending: Item[]) => Promise<Map<Item, Outcome | Error>>,
  policy: ItemRetryPolicy,
): Promise<Map<Item, Outcome | Error>> {
  const outcomes = new Map<Item, Outcome | Error>();
  let pending = [...items];
  for (let attempt = 0; pending.length > 0; attempt++) {
    let round: Map<Item, Outcome | Error>;
    try {
      round = await send(pending);
    } catch (error) {
      if (!mayRetry(error, policy.retriable) || policy.signal?.aborted) throw error;
      round = new Map(pending.map((item) => [item, error as Error]));
    }
    const retry: Item[] = [];
    for (const item of pending) {
      const outcome = round.get(item) ?? new Error('no answer for this item');
      outcomes.set(item, outcome);
      if (outcome instanceof Error && mayRetry(outcome, policy.retriable)) retry.push(item);
    }
    if (retry.length === 0) break;
    const delayMs = backoffMs(attempt, policy.retryBackoffMs, policy.retryBackoffMaxMs, policy.random);
    if (policy.clock.nowMs() + delayMs >= policy.deadlineMs) break;
    policy.onRetry?.();
    await sleep(policy.clock, delayMs, policy.signal);
    pending = retry;
  }
  return outcomes;
}

/** Throws when any outcome is an error: that error alone, or an AggregateError of all of them. */
export function throwFailures<Item, Outcome>(operation: string, outcomes: Map<Item, Outcome | Error>): void {
  const errors = [...outcomes.values()].filter((outcome): outcome is Error => outcome instanceof Error);
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new AggregateError(
      errors,
      `${operation}: ${errors.length} failed: ${errors.map((error) => error.message).join('; ')}`,
    );
  }
}
