import { type ApiDefinition, type Input, KafkaError } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { Broker } from '../broker.js';
import type { Connection } from '../network/connection.js';

export interface RequestContext {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly connection: Connection;
  readonly logger: Logger;
  /** Counts an error code returned by this request (metrics). */
  recordError(code: number): void;
}

/** One API key: the versions served and the function that serves them. */
export interface HandlerDefinition<Request, Response> {
  readonly api: ApiDefinition<Request, Response>;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The response body, or null when the protocol sends none (produce with acks=0). */
  handle(broker: Broker, context: RequestContext, request: Request): Promise<Input<Response> | null>;
}

export function defineHandler<Request, Response>(
  definition: HandlerDefinition<Request, Response>,
): HandlerDefinition<unknown, unknown> {
  return definition as unknown as HandlerDefinition<unknown, unknown>;
}

/** A Kafka error code for whatever a partition-level operation threw; anything unexpected is logged. */
export function errorCodeOf(error: unknown, context: RequestContext): number {
  if (KafkaError.isInstance(error)) {
    context.recordError(error.code);
    return error.code;
  }
  context.logger.error({ err: error }, 'unexpected error handling a request');
  context.recordError(-1);
  return -1;
}

/** Error code and message, for the responses that carry a message. */
export function errorOf(
  error: unknown,
  context: RequestContext,
): { errorCode: number; errorMessage: string | null } {
  const errorCode = errorCodeOf(error, context);
  return { errorCode, errorMessage: error instanceof Error ? error.message : String(error) };
}

/** Offsets cross the wire as int64; inside the broker they are numbers below 2^53. */
export function toOffsetNumber(offset: bigint): number {
  if (offset > BigInt(Number.MAX_SAFE_INTEGER) || offset < BigInt(Number.MIN_SAFE_INTEGER)) {
    return Number.NaN;
  }
  return Number(offset);
}
