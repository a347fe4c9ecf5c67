import { backoffMs } from './backoff.js';
import { type Clock, type RandomSource, sleep } from './clock.js';
import { isRetriable } from './errors.js';

export interface RetryPolicy {
  /** First backoff (retry.backoff.ms); doubles with each retry. */
  readonly retryBackoffMs: number;
  /** Largest backoff (retry.backoff.max.ms). */
  readonly retryBackoffMaxMs: number;
  /**
   * No attempt starts after this time (clock ms): the operation's budget, from request.timeout.ms or
   * delivery.timeout.ms. A backoff that would end past it ends the retries with the last error.
   */
  readonly deadlineMs: number;
  /** Most retries after the first attempt (Kafka's `retries`); default unlimited within the deadline. */
  readonly maxRetries?: number;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly signal?: AbortSignal;
  /** Whether `error` may succeed when retried; default `isRetriable`. */
  readonly isRetriable?: (error: unknown) => boolean;
  /** Called before each backoff, e.g. to refresh metadata after NOT_LEADER_OR_FOLLOWER. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `operation` until it succeeds, fails with an error that is not retriable, runs out of retries, or the
 * next attempt would start after the deadline; then rethrows the last error unchanged. Between attempts it
 * waits with exponential backoff and full jitter (see backoffMs). `attempt` counts from 0.
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const retriable = policy.isRetriable ?? isRetriable;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (policy.signal?.aborted) throw error;
      if (!retriable(error)) throw error;
      if (policy.maxRetries !== undefined && attempt >= policy.maxRetries) throw error;
      const delayMs = backoffMs(attempt, policy.retryBackoffMs, policy.retryBackoffMaxMs, policy.random);
      if (policy.clock.nowMs() + delayMs >= policy.deadlineMs) throw error;
      policy.onRetry?.(error, attempt, delayMs);
      await sleep(policy.clock, delayMs, policy.signal);
    }
  }
}
