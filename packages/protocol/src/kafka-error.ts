import { errorCodeInfo } from './generated/error-code-table.js';

const marker = Symbol.for('sluice.protocol.KafkaError');

/**
 * An error with a Kafka error code. Each code has its own subclass (generated from Kafka's error table:
 * `NotLeaderOrFollowerError`, `CorruptMessageError`, ...), so callers can catch by class or compare `code`.
 * `retriable` says whether the same request may succeed if sent again, as in Kafka's Java client.
 */
export class KafkaError extends Error {
  readonly [marker] = true;
  readonly code: number;
  /** Kafka's name for the code, e.g. `NOT_LEADER_OR_FOLLOWER`. */
  readonly errorName: string;
  readonly retriable: boolean;

  constructor(code: number, message?: string, options?: ErrorOptions) {
    const info = errorCodeInfo.get(code);
    super(message ?? info?.message ?? `Kafka error code ${code}`, options);
    this.code = code;
    this.errorName = info?.name ?? `UNKNOWN_ERROR_CODE_${code}`;
    this.retriable = info?.retriable ?? false;
    this.name = new.target.name;
  }

  /** True for a KafkaError from any copy of this package. */
  static isInstance(value: unknown): value is KafkaError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
