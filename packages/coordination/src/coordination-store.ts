/**
 * The coordination store: one interface, shaped like etcd v3 so that the embedded store and an
 * etcd-backed store are interchangeable.
 *
 * - The store has one revision counter. Every write that changes something (a put, a delete that deletes
 *   at least one key, a transaction with such writes, a lease revoked or expired with keys bound to it)
 *   advances it by exactly one; reads and no-op writes leave it alone. A fresh store is at revision 1.
 * - Each key has `createRevision` (revision of the put that created it), `modRevision` (of its last
 *   change) and `version` (1 on creation, +1 per put; deleting the key resets it, so a key put again after
 *   a delete starts over at version 1 with a new `createRevision`).
 * - A lease has a TTL; a key put with a lease is deleted when the lease is revoked or expires (its TTL
 *   passes without a keep-alive). Expiry deletes the lease's keys at one new revision.
 * - A watch streams the changes of keys under a prefix, one batch per revision, starting from any revision
 *   the store still remembers.
 * - Keys are non-empty, well-formed strings ordered by code point (the byte order of their UTF-8, as in
 *   etcd). Values are bytes; the store copies them in and out, so callers own what they pass and receive.
 */

export interface KeyValue {
  key: string;
  value: Uint8Array;
  /** Revision of the put that created the key (0 in a delete event). */
  createRevision: number;
  /** Revision of the key's last change. */
  modRevision: number;
  /** 1 after the put that created the key, +1 per put since (0 in a delete event). */
  version: number;
  /** The lease the key is bound to, or null. */
  lease: string | null;
}

/**
 * A condition of a transaction, on the state before the transaction. A missing key has version,
 * createRevision and modRevision 0 and lease null; a `value` compare on a missing key is false whatever the op.
 */
export type Compare =
  | {
      key: string;
      target: 'version' | 'createRevision' | 'modRevision';
      op: '=' | '!=' | '<' | '>';
      value: number;
    }
  | { key: string; target: 'value'; op: '=' | '!='; value: Uint8Array }
  | { key: string; target: 'lease'; op: '=' | '!='; value: string | null };

/**
 * An operation of a transaction. Operations of one branch run in order and share one revision; a `get`
 * sees the writes before it. As in etcd, one branch may not put the same key twice, nor delete a key it puts.
 */
export type Operation =
  | { type: 'put'; key: string; value: Uint8Array; lease?: string }
  | { type: 'delete'; key: string; prefix?: boolean }
  | { type: 'get'; key: string; prefix?: boolean };

export interface TxnResult {
  /** True when every compare held and the `success` branch ran; false when `failure` ran. */
  succeeded: boolean;
  /** The store's revision after the transaction (unchanged if it wrote nothing). */
  revision: number;
  /**
   * One result per operation of the branch that ran: for a `get` the key-values found (sorted by key),
   * for a `delete` the number of keys deleted, for a `put` the revision of the transaction.
   */
  results: (KeyValue[] | number)[];
}

/**
 * A change seen by a watch. A delete event carries the key as etcd reports it: `modRevision` is the
 * revision of the deletion, `createRevision` and `version` are 0, the value is empty and the lease null.
 */
export type WatchEvent =
  | { type: 'put'; kv: KeyValue; previous: KeyValue | null }
  | { type: 'delete'; kv: KeyValue };

/**
 * The changes under a prefix, one batch (array) per revision, in revision order. Iteration ends when the
 * watch is closed or its signal aborts; it throws `CompactedRevisionError` when the revision it needs is
 * no longer kept (it started too far back, or its reader fell too far behind), and `StoreClosedError`
 * when the store closes.
 */
export interface Watch extends AsyncIterable<WatchEvent[]> {
  close(): void;
}

export interface CoordinationStore {
  get(key: string): Promise<KeyValue | null>;
  /** Keys starting with `prefix` (all keys for ''), sorted, and the revision they were read at. */
  getPrefix(prefix: string): Promise<{ kvs: KeyValue[]; revision: number }>;
  /** Rejects with `LeaseNotFoundError` if `lease` does not exist. */
  put(
    key: string,
    value: Uint8Array,
    options?: { lease?: string },
  ): Promise<{ revision: number; previous: KeyValue | null }>;
  delete(key: string, options?: { prefix?: boolean }): Promise<{ revision: number; deleted: number }>;
  txn(request: { compare: Compare[]; success: Operation[]; failure?: Operation[] }): Promise<TxnResult>;
  /** Grants a lease; the store may raise a short TTL to its minimum and says which TTL it granted. */
  grantLease(ttlMs: number): Promise<{ id: string; ttlMs: number }>;
  /** Restarts the lease's TTL. Rejects with `LeaseNotFoundError` if it expired or was revoked. */
  keepAlive(leaseId: string): Promise<{ ttlMs: number }>;
  /** Revokes the lease, deleting its keys. Rejects with `LeaseNotFoundError` if it does not exist. */
  revokeLease(leaseId: string): Promise<void>;
  /**
   * Events for keys under `prefix` with modRevision ≥ fromRevision (default: current + 1), in order.
   * Resuming from a compacted revision rejects with `CompactedRevisionError` when iterated.
   */
  watch(prefix: string, options?: { fromRevision?: number; signal?: AbortSignal }): Watch;
  /** Finishes pending writes and closes. Later calls reject with `StoreClosedError`. Idempotent. */
  close(): Promise<void>;
}
