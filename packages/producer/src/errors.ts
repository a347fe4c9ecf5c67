import { BrandedError, hasBrand } from '@sluice/network';

/**
 * Errors of the producer itself (the broker's are the protocol's KafkaError subclasses, with a location).
 * Each is branded (BrandedError) so `isInstance` works across two copies of this package.
 */

/**
 * The buffer pool (buffer.memory) stayed full for max.block.ms: the records of this `send` were not taken,
 * none of them will be sent. Records taken earlier are unaffected.
 */
export class BufferExhaustedError extends BrandedError {
  static override readonly brand = 'sluice.producer.BufferExhaustedError';
  override readonly name = 'BufferExhaustedError';
  readonly retriable = true;
  /**
   * How many of the send's first messages were taken before memory ran out: those will still be delivered
   * (flush() waits for them); the rest were not taken.
   */
  acceptedMessages = 0;

  constructor(
    readonly requestedBytes: number,
    readonly maxBlockMs: number,
    readonly bufferMemoryBytes: number,
  ) {
    super(
      `could not allocate ${requestedBytes} bytes within max.block.ms (${maxBlockMs} ms): the ${bufferMemoryBytes}-byte buffer pool (buffer.memory) is full of records not yet acknowledged`,
    );
  }

  static override isInstance(value: unknown): value is BufferExhaustedError {
    return hasBrand(value, BufferExhaustedError.brand);
  }
}

/**
 * A batch was not acknowledged within delivery.timeout.ms of its creation. Its records may or may not have
 * been written (the last attempt's outcome is unknown); they were not acknowledged.
 */
export class DeliveryTimeoutError extends BrandedError {
  static override readonly brand = 'sluice.producer.DeliveryTimeoutError';
  override readonly name = 'DeliveryTimeoutError';
  readonly retriable = true;

  constructor(
    readonly location: string,
    readonly recordCount: number,
    deliveryTimeoutMs: number,
    cause?: unknown,
  ) {
    super(
      `${location}: ${recordCount} records not acknowledged within delivery.timeout.ms (${deliveryTimeoutMs} ms)${cause instanceof Error ? `; last error: ${cause.message}` : ''}`,
      { cause },
    );
  }

  static override isInstance(value: unknown): value is DeliveryTimeoutError {
    return hasBrand(value, DeliveryTimeoutError.brand);
  }
}

/** One record is larger than max.request.size or buffer.memory allows: it can never be sent. */
export class RecordTooLargeError extends BrandedError {
  static override readonly brand = 'sluice.producer.RecordTooLargeError';
  override readonly name = 'RecordTooLargeError';
  readonly retriable = false;

  constructor(
    readonly sizeBytes: number,
    limit: string,
    limitBytes: number,
  ) {
    super(
      `a record of ${sizeBytes} bytes (serialized, with its batch header) is larger than ${limit} (${limitBytes} bytes)`,
    );
  }

  static override isInstance(value: unknown): value is RecordTooLargeError {
    return hasBrand(value, RecordTooLargeError.brand);
  }
}
