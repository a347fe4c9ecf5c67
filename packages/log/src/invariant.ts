/**
 * Invariants of the log, asserted in code and always on. A failed invariant is a bug in Sluice (or a
 * caller breaking the API contract), never bad input from the network: bad input gets a Kafka error.
 */
export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

/** Throws an InvariantError when `condition` is false. Pass a function to build costly messages lazily. */
export function invariant(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(typeof message === 'function' ? message() : message);
}

/** Offsets are JavaScript numbers inside the log: non-negative safe integers (below 2^53). */
export function assertOffset(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvariantError(`${what} must be a non-negative safe integer offset, got ${value}`);
  }
}
