import { errorClassByCode, KafkaError } from '@sluice/protocol';
import { BrandedError, hasBrand } from './branded-error.js';

/**
 * Errors of the client side of the network. Like the protocol's KafkaError they carry `retriable`, so one
 * predicate (`isRetriable`) decides whether a request may be sent again. Each class is branded
 * (BrandedError), so `isInstance` works across two copies of this package.
 */

/** The connection to a broker failed or closed before an answer came: the request may be sent again. */
export class ConnectionError extends BrandedError {
  static override readonly brand = 'sluice.network.ConnectionError';
  override readonly name = 'ConnectionError';
  readonly retriable = true;

  constructor(
    message: string,
    /** host:port of the broker. */
    readonly broker: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  static override isInstance(value: unknown): value is ConnectionError {
    return hasBrand(value, ConnectionError.brand);
  }
}

/** No answer within request.timeout.ms (or connection setup within its timeout). */
export class RequestTimeoutError extends BrandedError {
  static override readonly brand = 'sluice.network.RequestTimeoutError';
  override readonly name = 'RequestTimeoutError';
  readonly retriable = true;

  constructor(
    message: string,
    readonly broker: string,
  ) {
    super(message);
  }

  static override isInstance(value: unknown): value is RequestTimeoutError {
    return hasBrand(value, RequestTimeoutError.brand);
  }
}

/** The broker sent something that is not a valid answer: the connection is closed. */
export class ProtocolError extends BrandedError {
  static override readonly brand = 'sluice.network.ProtocolError';
  override readonly name = 'ProtocolError';
  readonly retriable = false;

  static override isInstance(value: unknown): value is ProtocolError {
    return hasBrand(value, ProtocolError.brand);
  }
}

/** An option is unknown, of the wrong type, out of its bounds, or inconsistent with another option. */
export class InvalidOptionError extends BrandedError {
  static override readonly brand = 'sluice.network.InvalidOptionError';
  override readonly name = 'InvalidOptionError';
  readonly retriable = false;

  constructor(
    /** The camelCase option name, e.g. `lingerMs`. */
    readonly option: string,
    message: string,
  ) {
    super(message);
  }

  static override isInstance(value: unknown): value is InvalidOptionError {
    return hasBrand(value, InvalidOptionError.brand);
  }
}

/** The producer, consumer, admin or connection was closed while the operation waited. */
export class ClientClosedError extends BrandedError {
  static override readonly brand = 'sluice.network.ClientClosedError';
  override readonly name = 'ClientClosedError';
  readonly retriable = false;

  static override isInstance(value: unknown): value is ClientClosedError {
    return hasBrand(value, ClientClosedError.brand);
  }
}

/** A KafkaError that says where it happened, e.g. `topics/orders/partitions/3`. */
export type LocatedKafkaError = KafkaError & { readonly location: string };

/**
 * The typed error for a Kafka error code (NotLeaderOrFollowerError for 6, ...), its message prefixed with
 * where it happened, and `location` set: `topics/orders/partitions/3`, `topics/orders`, `brokers/1`.
 */
export function kafkaErrorAt(code: number, location: string, message?: string | null): LocatedKafkaError {
  const ErrorClass = errorClassByCode.get(code);
  const base = ErrorClass ? new ErrorClass() : new KafkaError(code);
  const detail = message ?? base.message;
  const error = ErrorClass
    ? new ErrorClass(`${location}: ${detail}`)
    : new KafkaError(code, `${location}: ${detail}`);
  return Object.assign(error, { location });
}

/** `topics/<topic>/partitions/<partition>`, the location of partition-level errors. */
export function partitionLocation(topic: string, partition: number): string {
  return `topics/${topic}/partitions/${partition}`;
}

/** Whether sending the same request again may succeed. */
export function isRetriable(error: unknown): boolean {
  if (KafkaError.isInstance(error)) return error.retriable;
  return ConnectionError.isInstance(error) || RequestTimeoutError.isInstance(error);
}

/** An AbortSignal's reason as an Error (AbortSignal.abort() gives a DOMException named AbortError). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException(String(reason ?? 'The operation was aborted'), 'AbortError');
}
