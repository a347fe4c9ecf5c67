import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from './errors.js';
import {
  brokerKey,
  brokersPrefix,
  controllerKey,
  partitionKey,
  partitionsPrefix,
  topicKey,
  topicsPrefix,
} from './keys.js';

describe('keys', () => {
  it("lays Sluice's keys out under /sluice/<cluster>/", () => {
    expect(brokerKey('prod', 3)).toBe('/sluice/prod/brokers/3');
    expect(controllerKey('prod')).toBe('/sluice/prod/controller');
    expect(topicKey('prod', 'orders.v1')).toBe('/sluice/prod/topics/orders.v1');
    expect(partitionKey('prod', 'orders.v1', 7)).toBe('/sluice/prod/partitions/orders.v1/7');
  });

  it("ends prefixes with '/' so that one topic's prefix never matches another topic", () => {
    expect(brokerKey('prod', 3).startsWith(brokersPrefix('prod'))).toBe(true);
    expect(topicKey('prod', 'a').startsWith(topicsPrefix('prod'))).toBe(true);
    expect(partitionKey('prod', 'a', 0).startsWith(partitionsPrefix('prod', 'a'))).toBe(true);
    expect(partitionKey('prod', 'ab', 0).startsWith(partitionsPrefix('prod', 'a'))).toBe(false);
    expect(partitionKey('prod', 'ab', 0).startsWith(partitionsPrefix('prod'))).toBe(true);
    expect(brokerKey('prod-2', 1).startsWith(brokersPrefix('prod'))).toBe(false);
  });

  it("refuses empty names, names with '/', and ids that are not whole numbers", () => {
    expect(() => topicKey('prod', '')).toThrow(InvalidRequestError);
    expect(() => topicKey('prod', 'a/b')).toThrow(InvalidRequestError);
    expect(() => brokerKey('', 1)).toThrow(InvalidRequestError);
    expect(() => brokerKey('prod', -1)).toThrow(InvalidRequestError);
    expect(() => partitionKey('prod', 'a', 1.5)).toThrow(InvalidRequestError);
  });
});
