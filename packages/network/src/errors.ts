import { errorClassByCode, KafkaError } from '@sluice/protocol';

/**
 * Errors of the client side of the network. Like the protocol's KafkaError they carry `retriable`, so one
 * predicate (`isRetriable`) decides whether a request may be sent again. Each class is branded, so
 * `isInstance` works across two copies of this package.
 */

const connectionMarker = Symbol.for('sluice.network.ConnectionError');
const timeoutMarker = Symbol.for('sluice.network.RequestTimeoutError');
const optionMarker = Symbol.for('sluice.network.InvalidOptionError');
const protocolMarker = Symbol.for('sluice.network.ProtocolError');
const closedMarker = Symbol.for('sluice.network.ClientClosedError');

function hasMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

/** The connection to a broker failed or closed before an answer came: the request may be sent again. */
export class ConnectionError extends Error {
  readonly [connectionMarker] = true;
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

  static isInstance(value: unknown): value is ConnectionError {
    return hasMarker(value, connectionMarker);
  }
}

/** No answer within request.timeout.ms (or connection setup within its timeout). */
export class RequestTimeoutError extends Error {
  readonly [timeoutMarker] = true;
  override readonly name = 'RequestTimeoutError';
  readonly retriable = true;

  constructor(
    message: string,
    readonly broker: string,
  ) {
    super(message);
  }

  static isInstance(value: unknown): value is RequestTimeoutError {
    return hasMarker(value, timeoutMarker);
  }
}

/** The broker sent something that is not a valid answer: the connection is closed. */
export class ProtocolError extends Error {
  readonly [protocolMarker] = true;
  override readonly name = 'ProtocolError';
  readonly retriable = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }

  static isInstance(value: unknown): value is ProtocolError {
    return hasMarker(value, protocolMarker);
  }
}

/** An option is unknown, of the wrong type, out of its bounds, or inconsistent with another option. */
export class InvalidOptionError extends Error {
  readonly [optionMarker] = true;
  override readonly name = 'InvalidOptionError';
  readonly retriable = false;

  constructor(
    /** The camelCase option name, e.g. `lingerMs`. */
    readonly option: string,
    message: string,
  ) {
    super(message);
  }

  static isInstance(value: unknown): value is InvalidOptionError {
    return hasMarker(value, optionMarker);
  }
}

/** The producer, consumer, admin or connection was closed while the operation waited. */
export class ClientClosedError extends Error {
  readonly [closedMarker] = true;
  override readonly name = 'ClientClosedError';
  readonly retriable = false;

  static isInstance(value: unknown): value is ClientClosedError {
    return hasMarker(value, closedMarker);
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
