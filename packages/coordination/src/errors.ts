/**
 * The failures of the coordination store, one class each. Every class has a `static isInstance` that
 * recognises errors made by any copy of this package (two versions can end up in one process), by a
 * registered symbol and the error's `kind` instead of `instanceof`.
 */

const kindKey = Symbol.for('sluice.coordination.CoordinationError');

export type CoordinationErrorKind =
  | 'LeaseNotFound'
  | 'CompactedRevision'
  | 'StoreClosed'
  | 'StoreFailed'
  | 'StoreCorrupt'
  | 'InvalidRequest'
  | 'ResourceExhausted'
  | 'NotLeader'
  | 'SessionExpired';

function kindOf(value: unknown): CoordinationErrorKind | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  return (value as Record<symbol, CoordinationErrorKind | undefined>)[kindKey];
}

/** Base class of every error of this package; `kind` names the failure. */
export abstract class CoordinationError extends Error {
  readonly [kindKey]: CoordinationErrorKind;
  /** True when the same request may succeed if sent again later. */
  readonly retriable: boolean;

  protected constructor(
    kind: CoordinationErrorKind,
    message: string,
    retriable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this[kindKey] = kind;
    this.retriable = retriable;
    this.name = new.target.name;
  }

  get kind(): CoordinationErrorKind {
    return this[kindKey];
  }

  /** True for an error of this package from any copy of it. */
  static isInstance(value: unknown): value is CoordinationError {
    return kindOf(value) !== undefined;
  }
}

/** The lease does not exist: never granted, revoked, or expired (its TTL passed without a keep-alive). */
export class LeaseNotFoundError extends CoordinationError {
  readonly leaseId: string;
  constructor(leaseId: string, message = `lease ${leaseId} not found (expired or revoked)`) {
    super('LeaseNotFound', message, false);
    this.leaseId = leaseId;
  }
  static override isInstance(value: unknown): value is LeaseNotFoundError {
    return kindOf(value) === 'LeaseNotFound';
  }
}

/** A watch asked for events of a revision the store no longer keeps. Re-read the state and watch again. */
export class CompactedRevisionError extends CoordinationError {
  readonly requestedRevision: number;
  /** Every revision up to and including this one is gone; a watch may start at `compactedRevision + 1`. */
  readonly compactedRevision: number;
  constructor(requestedRevision: number, compactedRevision: number) {
    super(
      'CompactedRevision',
      `revision ${requestedRevision} has been compacted (history starts after revision ${compactedRevision}); ` +
        're-read the keys and watch from the revision of that read + 1',
      false,
    );
    this.requestedRevision = requestedRevision;
    this.compactedRevision = compactedRevision;
  }
  static override isInstance(value: unknown): value is CompactedRevisionError {
    return kindOf(value) === 'CompactedRevision';
  }
}

/** The store was closed. */
export class StoreClosedError extends CoordinationError {
  constructor(message = 'the coordination store is closed') {
    super('StoreClosed', message, false);
  }
  static override isInstance(value: unknown): value is StoreClosedError {
    return kindOf(value) === 'StoreClosed';
  }
}

/**
 * Writing to disk failed. The store stops taking requests: its memory may be ahead of its disk, and only
 * reopening it (which replays what is durable) brings the two back in line.
 */
export class StoreFailedError extends CoordinationError {
  constructor(message: string, options?: ErrorOptions) {
    super('StoreFailed', message, false, options);
  }
  static override isInstance(value: unknown): value is StoreFailedError {
    return kindOf(value) === 'StoreFailed';
  }
}

/** The files of the store cannot be read back (not a torn tail, which is repaired, but a damaged snapshot). */
export class StoreCorruptError extends CoordinationError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('StoreCorrupt', `${path}: ${message}`, false);
    this.path = path;
  }
  static override isInstance(value: unknown): value is StoreCorruptError {
    return kindOf(value) === 'StoreCorrupt';
  }
}

/** The request is malformed or over one of the limits in limits.ts; sending it again will not help. */
export class InvalidRequestError extends CoordinationError {
  constructor(message: string) {
    super('InvalidRequest', message, false);
  }
  static override isInstance(value: unknown): value is InvalidRequestError {
    return kindOf(value) === 'InvalidRequest';
  }
}

/** The store is at one of its capacity limits (space, leases, watches, writes waiting for the disk). */
export class ResourceExhaustedError extends CoordinationError {
  constructor(message: string, retriable: boolean) {
    super('ResourceExhausted', message, retriable);
  }
  static override isInstance(value: unknown): value is ResourceExhaustedError {
    return kindOf(value) === 'ResourceExhausted';
  }
}

/** The caller acted as leader of an election it no longer leads (its key is gone or was replaced). */
export class NotLeaderError extends CoordinationError {
  readonly key: string;
  constructor(key: string, message = `no longer the leader: election key ${key} is gone`) {
    super('NotLeader', message, false);
    this.key = key;
  }
  static override isInstance(value: unknown): value is NotLeaderError {
    return kindOf(value) === 'NotLeader';
  }
}

/** A session's TTL passed, by its holder's clock, without a successful keep-alive. */
export class SessionExpiredError extends CoordinationError {
  readonly leaseId: string;
  constructor(leaseId: string, message = `session lease ${leaseId} expired`) {
    super('SessionExpired', message, false);
    this.leaseId = leaseId;
  }
  static override isInstance(value: unknown): value is SessionExpiredError {
    return kindOf(value) === 'SessionExpired';
  }
}
