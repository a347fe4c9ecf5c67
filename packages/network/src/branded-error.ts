/** Whether `value` carries `brand` (a BrandedError of that class, or of a class below it, from any copy). */
export function hasBrand(value: unknown, brand: string): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[Symbol.for(brand)] === true
  );
}

/**
 * Base of the errors the client packages raise themselves (network, producer, consumer, admin; the
 * broker's errors are the protocol's KafkaError subclasses). Every subclass names its `brand`, a key
 * registered with Symbol.for (`sluice.<package>.<ClassName>`), and every instance carries the brands of its
 * class and of the classes above it, so that `isInstance` recognises an error made by another copy of the
 * package (two versions in one process), where `instanceof` would not. Each subclass has its own
 * `static isInstance(value) { return hasBrand(value, Its.brand); }`, a plain function that works unbound
 * (`errors.filter(ConnectionError.isInstance)`). Every error says whether trying again may succeed
 * (`retriable`), so that one predicate decides whether a request may be sent again.
 */
export abstract class BrandedError extends Error {
  static readonly brand: string = 'sluice.network.BrandedError';
  /** Whether the same operation may succeed if tried again. */
  abstract readonly retriable: boolean;

  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    const marks = this as unknown as Record<symbol, boolean>;
    for (
      let type: { readonly brand: string } | null = new.target;
      type !== null;
      type = type === BrandedError ? null : Object.getPrototypeOf(type)
    ) {
      if (Object.hasOwn(type, 'brand')) marks[Symbol.for(type.brand)] = true;
    }
  }

  /** True for an error of any client package, from any copy of it. */
  static isInstance(value: unknown): value is BrandedError {
    return hasBrand(value, BrandedError.brand);
  }
}
