import { KafkaError } from '@sluice/protocol';
import { describe, expect, it } from 'vitest';
import { BrandedError, hasBrand } from './branded-error.js';
import {
  ClientClosedError,
  ConnectionError,
  isRetriable,
  ProtocolError,
  RequestTimeoutError,
} from './errors.js';
import { TopicMetadataTimeoutError } from './metadata-cache.js';

describe('branded errors', () => {
  it('keep their name, message, cause and retriable flag', () => {
    const cause = new Error('reset');
    const error = new ConnectionError('connection to b:9092 failed', 'b:9092', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConnectionError');
    expect(error.message).toBe('connection to b:9092 failed');
    expect(error.cause).toBe(cause);
    expect(error.broker).toBe('b:9092');
    expect(error.retriable).toBe(true);
    expect(String(new ProtocolError('bad frame'))).toBe('ProtocolError: bad frame');
    expect(new ClientClosedError('closed').retriable).toBe(false);
  });

  it('are recognised by their own class and by the base, and by no other class', () => {
    const timeout = new RequestTimeoutError('no answer', 'b:9092');
    expect(RequestTimeoutError.isInstance(timeout)).toBe(true);
    expect(BrandedError.isInstance(timeout)).toBe(true);
    expect(ConnectionError.isInstance(timeout)).toBe(false);
    expect(RequestTimeoutError.isInstance(new Error('no answer'))).toBe(false);
    expect(RequestTimeoutError.isInstance(null)).toBe(false);
    expect(BrandedError.isInstance(new KafkaError(6))).toBe(false);
    const metadataTimeout = new TopicMetadataTimeoutError('orders', new Error('unknown topic'));
    expect(TopicMetadataTimeoutError.isInstance(metadataTimeout)).toBe(true);
    expect(metadataTimeout.message).toBe(
      'topics/orders: not present in metadata before the deadline; last error: unknown topic',
    );
  });

  it('are recognised when made by another copy of the package (the brand, not the prototype)', () => {
    // What another copy's ConnectionError looks like from here: its own class, the same registered brands.
    const foreign = Object.assign(new Error('lost'), {
      [Symbol.for(ConnectionError.brand)]: true,
      [Symbol.for(BrandedError.brand)]: true,
      retriable: true,
    });
    expect(foreign).not.toBeInstanceOf(ConnectionError);
    expect(ConnectionError.isInstance(foreign)).toBe(true);
    expect(hasBrand(foreign, 'sluice.network.ConnectionError')).toBe(true);
    expect(isRetriable(foreign)).toBe(true);
  });

  it('have an isInstance that works detached from its class', () => {
    const errors = [new ConnectionError('a', 'b:1'), new ProtocolError('b'), new Error('c')];
    expect(errors.filter(ConnectionError.isInstance)).toEqual([errors[0]]);
    expect(errors.filter(BrandedError.isInstance)).toHaveLength(2);
  });
});
