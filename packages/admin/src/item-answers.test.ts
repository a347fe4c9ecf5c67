import { ErrorCode, KafkaError } from '@sluice/network';
import { describe, expect, it } from 'vitest';
import { outcomesOf, partitionAnswer, requestTopics } from './item-answers.js';

describe('reading answers item by item', () => {
  it('gives each item its value, its located error with the broker message, or no answer', () => {
    const answers = [
      { name: 'orders', errorCode: 0, errorMessage: null, count: 3 },
      { name: 'audit', errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: 'Topic audit exists' },
    ];
    const outcomes = outcomesOf(
      ['orders', 'audit', 'missing'],
      (name) => answers.find((answer) => answer.name === name),
      (name) => `topics/${name}`,
      (answer) => answer.name,
    );
    expect(outcomes.get('orders')).toBe('orders');
    const exists = outcomes.get('audit') as KafkaError & { location: string };
    expect(KafkaError.isInstance(exists)).toBe(true);
    expect(exists.errorName).toBe('TOPIC_ALREADY_EXISTS');
    expect(exists.location).toBe('topics/audit');
    expect(exists.message).toBe('topics/audit: Topic audit exists');
    const missing = outcomes.get('missing') as KafkaError;
    expect(missing.errorName).toBe('UNKNOWN_SERVER_ERROR');
    expect(missing.message).toBe('topics/missing: no answer');
  });

  it('finds a partition answer by topic name and partition index', () => {
    const topics = [
      { name: 'a', partitions: [{ partitionIndex: 0, errorCode: 0 }] },
      { name: 'b', partitions: [{ partitionIndex: 2, errorCode: 6 }] },
    ];
    expect(partitionAnswer(topics, 'b', 2)).toBe(topics[1].partitions[0]);
    expect(partitionAnswer(topics, 'b', 0)).toBeUndefined();
    expect(partitionAnswer(topics, 'c', 0)).toBeUndefined();
  });

  it('names each topic of a request once, with its partitions', () => {
    expect(
      requestTopics(
        [
          { topic: 'b', partition: 1 },
          { topic: 'a', partition: 0 },
          { topic: 'b', partition: 0 },
        ],
        (item) => ({ partitionIndex: item.partition }),
      ),
    ).toEqual([
      { name: 'b', partitions: [{ partitionIndex: 1 }, { partitionIndex: 0 }] },
      { name: 'a', partitions: [{ partitionIndex: 0 }] },
    ]);
  });
});
