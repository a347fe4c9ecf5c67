import { InvalidOptionError, resolveOptions } from '@sluice/network';
import { describe, expect, it } from 'vitest';
import { isIdempotent, producerOptionRelations, producerOptionTable } from './producer-options.js';

function resolve(options: object) {
  return resolveOptions(
    producerOptionTable,
    { bootstrapServers: 'h:1', ...options },
    producerOptionRelations,
  );
}

function refusal(options: object): InvalidOptionError {
  try {
    resolve(options);
  } catch (error) {
    if (InvalidOptionError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('producer options', () => {
  it("take Kafka's producer defaults", () => {
    const options = resolve({});
    expect(options).toMatchObject({
      acks: -1,
      lingerMs: 0,
      batchSizeBytes: 16_384,
      bufferMemoryBytes: 33_554_432,
      maxBlockMs: 60_000,
      maxRequestSizeBytes: 1_048_576,
      compression: 'none',
      retries: 2_147_483_647,
      deliveryTimeoutMs: 120_000,
      maxInFlightRequestsPerConnection: 5,
      requestTimeoutMs: 30_000,
    });
    expect(isIdempotent(options)).toBe(true);
  });

  it('accept acks as 0, 1, -1 or "all"', () => {
    expect(resolve({ acks: 'all' }).acks).toBe(-1);
    expect(resolve({ acks: 1 }).acks).toBe(1);
    expect(refusal({ acks: 2 }).message).toBe('acks (acks) must be 0, 1, -1 or "all", got 2');
  });

  it('turn idempotence off by default when acks or the in-flight limit conflict, as Kafka 3 does', () => {
    expect(isIdempotent(resolve({ acks: 1 }))).toBe(false);
    expect(isIdempotent(resolve({ maxInFlightRequestsPerConnection: 6 }))).toBe(false);
    expect(isIdempotent(resolve({ retries: 0 }))).toBe(false);
    expect(isIdempotent(resolve({ idempotent: false }))).toBe(false);
  });

  it('refuse idempotence asked for together with a conflicting option, naming that option', () => {
    expect(refusal({ idempotent: true, acks: 1 }).option).toBe('acks');
    const inFlight = refusal({ idempotent: true, maxInFlightRequestsPerConnection: 6 });
    expect(inFlight.option).toBe('maxInFlightRequestsPerConnection');
    expect(inFlight.message).toBe(
      'idempotent producers need maxInFlightRequestsPerConnection at most 5, not 6',
    );
    expect(refusal({ idempotent: true, retries: 0 }).option).toBe('retries');
  });

  it('refuse a delivery timeout shorter than linger plus request timeout', () => {
    const error = refusal({ deliveryTimeoutMs: 20_000, lingerMs: 5 });
    expect(error.option).toBe('deliveryTimeoutMs');
    expect(error.message).toBe(
      'deliveryTimeoutMs (20000) must be at least lingerMs + requestTimeoutMs (30005)',
    );
  });

  it('refuse bounds violations and unknown names', () => {
    expect(refusal({ lingerMs: -1 }).message).toContain('lingerMs (linger.ms) must be an integer in [0,');
    expect(refusal({ compression: 'brotli' }).message).toContain(
      'compression (compression.type) must be one of',
    );
    expect(refusal({ batchSize: 10 }).message).toBe('unknown option batchSize; did you mean batchSizeBytes?');
    expect(refusal({ batchSizeBytes: 2_000, bufferMemoryBytes: 1_000 }).option).toBe('batchSizeBytes');
  });
});
