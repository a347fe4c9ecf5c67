const marker = Symbol.for('sluice.protocol.DecodeError');

/**
 * Thrown by every decoder when the bytes it is given are not a valid encoding: too short, a length or count
 * that runs past the end, a negative length where none is allowed, an invalid varint, bad UTF-8 is not
 * checked (Kafka does not check it either). `offset` is where in the buffer the problem was found.
 */
export class DecodeError extends Error {
  readonly [marker] = true;
  override readonly name = 'DecodeError';

  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }

  /** True for a DecodeError from any copy of this package. */
  static isInstance(value: unknown): value is DecodeError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
