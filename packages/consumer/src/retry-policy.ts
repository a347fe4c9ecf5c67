import { InvalidOptionError } from '@sluice/network';
import { Limits } from './limits.js';

/**
 * Retries and dead letters (opt-in): when `eachRecord`'s handler throws, the record is re-published to a
 * retry topic and handled again after a delay; after `maxAttempts` failed attempts it goes to the
 * dead-letter topic. The partition it came from carries on at once: one bad record never blocks it.
 */
export interface RetryPolicy {
  /**
   * Retry topics, by attempt: the record that failed its n-th attempt goes to `topics[n - 1]` (the last
   * topic for attempts beyond the list). One topic per delay keeps a short delay from waiting behind a
   * long one. The consumer subscribes to them along with its own topics.
   */
  topics: readonly string[];
  /** Delay before the next attempt after the n-th failed one: `delaysMs[n - 1]` (the last beyond the list). */
  delaysMs: readonly number[];
  /** Handler attempts per record, the first included; the record goes to the dead-letter topic after the last. */
  maxAttempts: number;
  deadLetterTopic: string;
  /**
   * Called after each re-publish is acknowledged and before the original record counts as done (for
   * metrics or alerts); awaited. An error it throws is logged.
   */
  onPublished?: (publication: RetryPublication) => void | Promise<void>;
}

export type ResolvedRetryPolicy = Readonly<{
  topics: readonly string[];
  delaysMs: readonly number[];
  maxAttempts: number;
  deadLetterTopic: string;
  onPublished: ((publication: RetryPublication) => void | Promise<void>) | null;
}>;

/** A record re-published after its handler failed. */
export interface RetryPublication {
  /** `retry`: it will be handled again after its delay; `dead-letter`: no more attempts. */
  readonly kind: 'retry' | 'dead-letter';
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The attempt that failed (1 for the first delivery). */
  readonly failedAttempt: number;
  /** Not handled again before this time (ms since the epoch); 0 for the dead-letter topic. */
  readonly notBeforeMs: number;
  /** Where the record was first consumed. */
  readonly origin: { readonly topic: string; readonly partition: number; readonly offset: number };
  readonly error: string;
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

function checkTopic(name: unknown, what: string): string {
  if (typeof name !== 'string' || !TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new InvalidOptionError(
      'retry',
      `retry.${what} must be a topic name (1 to 249 of a-z A-Z 0-9 . _ -), got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/** Validates a retry policy; throws InvalidOptionError naming `retry`. */
export function resolveRetryPolicy(input: RetryPolicy): ResolvedRetryPolicy {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidOptionError('retry', 'retry must be { topics, delaysMs, maxAttempts, deadLetterTopic }');
  }
  const known = new Set(['topics', 'delaysMs', 'maxAttempts', 'deadLetterTopic', 'onPublished']);
  for (const name of Object.keys(input)) {
    if (!known.has(name)) throw new InvalidOptionError('retry', `unknown retry option ${name}`);
  }
  const { topics, delaysMs, maxAttempts, deadLetterTopic, onPublished } = input;
  if (onPublished !== undefined && typeof onPublished !== 'function') {
    throw new InvalidOptionError('retry', 'retry.onPublished must be a function');
  }
  if (!Array.isArray(topics) || topics.length === 0 || topics.length > Limits.MAX_RETRY_TOPICS) {
    throw new InvalidOptionError('retry', `retry.topics must list 1 to ${Limits.MAX_RETRY_TOPICS} topics`);
  }
  const checkedTopics = topics.map((topic, i) => checkTopic(topic, `topics[${i}]`));
  if (!Array.isArray(delaysMs) || delaysMs.length === 0 || delaysMs.length > Limits.MAX_RETRY_ATTEMPTS) {
    throw new InvalidOptionError(
      'retry',
      `retry.delaysMs must list 1 to ${Limits.MAX_RETRY_ATTEMPTS} delays`,
    );
  }
  for (const delayMs of delaysMs) {
    if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > Limits.MAX_RETRY_DELAY_MS) {
      throw new InvalidOptionError(
        'retry',
        `retry.delaysMs must be integers in [0, ${Limits.MAX_RETRY_DELAY_MS}] ms, got ${String(delayMs)}`,
      );
    }
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > Limits.MAX_RETRY_ATTEMPTS) {
    throw new InvalidOptionError(
      'retry',
      `retry.maxAttempts must be an integer in [1, ${Limits.MAX_RETRY_ATTEMPTS}], got ${String(maxAttempts)}`,
    );
  }
  const deadLetter = checkTopic(deadLetterTopic, 'deadLetterTopic');
  if (checkedTopics.includes(deadLetter)) {
    throw new InvalidOptionError('retry', 'retry.deadLetterTopic must not be one of retry.topics');
  }
  return Object.freeze({
    topics: Object.freeze([...checkedTopics]),
    delaysMs: Object.freeze([...delaysMs]),
    maxAttempts,
    deadLetterTopic: deadLetter,
    onPublished: onPublished ?? null,
  });
}

/** Where a record goes after failing its `attempt`-th attempt, and when it may be tried again. */
export function retryDestination(
  policy: ResolvedRetryPolicy,
  attempt: number,
): { kind: 'retry'; topic: string; delayMs: number } | { kind: 'dead-letter'; topic: string } {
  if (attempt >= policy.maxAttempts) return { kind: 'dead-letter', topic: policy.deadLetterTopic };
  const topic = policy.topics[Math.min(attempt, policy.topics.length) - 1];
  const delayMs = policy.delaysMs[Math.min(attempt, policy.delaysMs.length) - 1];
  return { kind: 'retry', topic, delayMs };
}
