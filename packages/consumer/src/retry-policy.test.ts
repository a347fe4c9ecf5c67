import { describe, expect, it } from 'vitest';
import { Limits } from './limits.js';
import { RetryDeduplicator } from './retry-deduplicator.js';
import { deliveryKey, describeError, RetryHeader, readRetryInfo, retryHeaders } from './retry-headers.js';
import { resolveRetryPolicy, retryDestination } from './retry-policy.js';

const policy = resolveRetryPolicy({
  topics: ['orders-retry-fast', 'orders-retry-slow'],
  delaysMs: [1_000, 60_000],
  maxAttempts: 4,
  deadLetterTopic: 'orders-dead',
});

const text = (headers: { key: string; value: Buffer | null }[], key: string) =>
  headers.filter((header) => header.key === key).map((header) => header.value?.toString());

describe('the retry policy', () => {
  it('sends each failed attempt to its retry topic with its delay, the last ones to the last topic, then to the dead letters', () => {
    expect(retryDestination(policy, 1)).toEqual({
      kind: 'retry',
      topic: 'orders-retry-fast',
      delayMs: 1_000,
    });
    expect(retryDestination(policy, 2)).toEqual({
      kind: 'retry',
      topic: 'orders-retry-slow',
      delayMs: 60_000,
    });
    expect(retryDestination(policy, 3)).toEqual({
      kind: 'retry',
      topic: 'orders-retry-slow',
      delayMs: 60_000,
    });
    expect(retryDestination(policy, 4)).toEqual({ kind: 'dead-letter', topic: 'orders-dead' });
    const once = resolveRetryPolicy({ topics: ['r'], delaysMs: [0], maxAttempts: 1, deadLetterTopic: 'd' });
    expect(retryDestination(once, 1)).toEqual({ kind: 'dead-letter', topic: 'd' });
  });

  it('reads the retry headers it writes, and replaces earlier ones', () => {
    const first = readRetryInfo({ topic: 'orders', partition: 3, offset: 41, headers: [] }, false);
    expect(first).toEqual({
      attempt: 1,
      notBeforeMs: 0,
      lastError: null,
      originTopic: 'orders',
      originPartition: 3,
      originOffset: 41,
    });
    const headers = retryHeaders([{ key: 'trace', value: Buffer.from('t-1') }], first, {
      attempt: 2,
      notBeforeMs: 1_700_000_001_000,
      error: 'Error: boom',
    });
    expect(text(headers, 'trace')).toEqual(['t-1']);
    const second = readRetryInfo({ topic: 'orders-retry-fast', partition: 0, offset: 7, headers }, true);
    expect(second).toEqual({
      attempt: 2,
      notBeforeMs: 1_700_000_001_000,
      lastError: 'Error: boom',
      originTopic: 'orders',
      originPartition: 3,
      originOffset: 41,
    });
    const again = retryHeaders(headers, second, { attempt: 3, notBeforeMs: 5, error: 'Error: again' });
    expect(text(again, RetryHeader.ATTEMPT)).toEqual(['3']);
    expect(text(again, RetryHeader.ORIGIN_OFFSET)).toEqual(['41']);
    expect(text(again, 'trace')).toEqual(['t-1']);
    expect(deliveryKey(readRetryInfo({ topic: 'x', partition: 0, offset: 9, headers: again }, true))).toBe(
      deliveryKey({ ...second, attempt: 3 }),
    );
  });

  it('trusts retry headers only on retry topics, and only whole', () => {
    const headers = retryHeaders(
      [],
      readRetryInfo({ topic: 'a', partition: 0, offset: 1, headers: [] }, false),
      {
        attempt: 5,
        notBeforeMs: 10,
        error: 'e',
      },
    );
    expect(readRetryInfo({ topic: 'a', partition: 2, offset: 8, headers }, false).attempt).toBe(1);
    const partial = headers.filter((header) => header.key !== RetryHeader.ORIGIN_TOPIC);
    expect(readRetryInfo({ topic: 'r', partition: 2, offset: 8, headers: partial }, true)).toMatchObject({
      attempt: 1,
      originTopic: 'r',
      originOffset: 8,
    });
  });

  it('keeps a bounded description of the error', () => {
    expect(describeError(new TypeError('bad input'))).toBe('TypeError: bad input');
    expect(describeError('plain')).toBe('thrown: plain');
    expect(describeError(new Error('x'.repeat(5_000))).length).toBe(Limits.MAX_RETRY_ERROR_CHARS);
  });

  it('remembers the latest deliveries up to its capacity', () => {
    const seen = new RetryDeduplicator(2);
    seen.add('a');
    seen.add('b');
    seen.add('c');
    expect([seen.has('a'), seen.has('b'), seen.has('c'), seen.size]).toEqual([false, true, true, 2]);
  });
});
