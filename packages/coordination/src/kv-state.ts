import assert from 'node:assert/strict';
import type { Compare, KeyValue, Operation, WatchEvent } from './coordination-store.js';
import { LeaseNotFoundError } from './errors.js';
import { compareKeys, SortedKeys } from './sorted-keys.js';

/**
 * The coordination store's state machine: keys with revisions and versions, leases with deadlines,
 * transactions. Pure: no I/O and no clock of its own (time comes in as `nowMs`), so the embedded store,
 * its replay on open, and a seeded simulation all drive the same code.
 *
 * Deterministic: the same operations from the same state give the same revisions, lease ids and events.
 * Leases never expire by themselves here; the caller asks `expiredLeaseIds(nowMs)` and applies a
 * `revokeLease` with reason `expired` for each, so that an expiry is an operation like any other (and can
 * be written to a log and replayed).
 *
 * Requests are assumed valid (see validate-request.ts); `apply` throws only `LeaseNotFoundError`, and
 * leaves the state untouched when it does.
 */

export type KvOperation =
  | { type: 'put'; key: string; value: Uint8Array; lease: string | null }
  | { type: 'delete'; key: string; prefix: boolean }
  | { type: 'txn'; compare: Compare[]; success: Operation[]; failure: Operation[] }
  | { type: 'grantLease'; ttlMs: number }
  | { type: 'keepAlive'; leaseId: string }
  | { type: 'revokeLease'; leaseId: string; reason: 'revoked' | 'expired' };

export type KvOutcome =
  | { type: 'put'; revision: number; previous: KeyValue | null }
  | { type: 'delete'; revision: number; deleted: number }
  | { type: 'txn'; succeeded: boolean; revision: number; results: (KeyValue[] | number)[] }
  | { type: 'grantLease'; leaseId: string; ttlMs: number }
  | { type: 'keepAlive'; ttlMs: number }
  | { type: 'revokeLease'; revision: number; deleted: number };

export type KvOutcomeOf<T extends KvOperation> = Extract<KvOutcome, { type: T['type'] }>;

export interface KvApplied<O extends KvOutcome = KvOutcome> {
  outcome: O;
  /** The store's revision after the operation. */
  revision: number;
  /** The changes, all at `revision`, in the order they were made; empty if no key changed. */
  events: WatchEvent[];
  /** True when the durable state changed (keys, or the lease table), so the operation must be logged. */
  mutated: boolean;
}

export interface KvSnapshot {
  revision: number;
  leaseCounter: number;
  /** Sorted by key. */
  keys: KeyValue[];
  leases: { id: string; ttlMs: number }[];
}

interface Lease {
  readonly id: string;
  readonly ttlMs: number;
  /** The lease expires at this time unless kept alive; nowMs + ttlMs after a grant or keep-alive. */
  deadlineMs: number;
  /** Keys bound to this lease: exactly the keys whose `lease` is this id. */
  readonly keys: Set<string>;
}

/** A fresh store is at revision 1, as in etcd; the first write makes revision 2. */
export const INITIAL_REVISION = 1;
const EMPTY_VALUE = new Uint8Array(0);

export class KvState {
  /** The revision of the last change; only ever grows, by one per changing operation. */
  private currentRevision = INITIAL_REVISION;
  /** Counter behind lease ids; ids are never reused, even after a restart (the counter is persisted). */
  private leaseCounter = 0;
  /** Live keys. The KeyValue objects are frozen and shared with callers of the state; never mutated. */
  private readonly entries = new Map<string, KeyValue>();
  /** The same keys as `entries`, sorted. */
  private readonly sortedKeys = new SortedKeys();
  private readonly leases = new Map<string, Lease>();
  /** Sum of the UTF-16 length of keys and byte length of values; what the store's quota is checked against. */
  private storedSize = 0;

  static fromSnapshot(snapshot: KvSnapshot, nowMs: number): KvState {
    const state = new KvState();
    state.currentRevision = snapshot.revision;
    state.leaseCounter = snapshot.leaseCounter;
    for (const lease of snapshot.leases) {
      state.leases.set(lease.id, {
        id: lease.id,
        ttlMs: lease.ttlMs,
        deadlineMs: nowMs + lease.ttlMs,
        keys: new Set(),
      });
    }
    for (const kv of snapshot.keys) {
      assert(kv.modRevision <= snapshot.revision, `snapshot key ${kv.key} is newer than the snapshot`);
      state.replaceEntry(kv.key, null, Object.freeze({ ...kv }));
    }
    state.checkInvariants();
    return state;
  }

  get revision(): number {
    return this.currentRevision;
  }

  get keyCount(): number {
    return this.entries.size;
  }

  get leaseCount(): number {
    return this.leases.size;
  }

  /** Characters of keys plus bytes of values held. */
  get size(): number {
    return this.storedSize;
  }

  get(key: string): KeyValue | null {
    return this.entries.get(key) ?? null;
  }

  /** Keys starting with `prefix`, sorted. */
  range(prefix: string): KeyValue[] {
    return this.sortedKeys.withPrefix(prefix).map((key) => this.entries.get(key) as KeyValue);
  }

  hasLease(leaseId: string): boolean {
    return this.leases.has(leaseId);
  }

  leaseIds(): string[] {
    return [...this.leases.keys()];
  }

  /** Leases whose deadline is at or before `nowMs`, earliest first. */
  expiredLeaseIds(nowMs: number): string[] {
    // Runs before every request of the store: one pass, no copy of the lease table.
    const expired: Lease[] = [];
    for (const lease of this.leases.values()) if (lease.deadlineMs <= nowMs) expired.push(lease);
    return expired
      .sort((a, b) => a.deadlineMs - b.deadlineMs || (a.id < b.id ? -1 : 1))
      .map((lease) => lease.id);
  }

  /** The earliest lease deadline, or undefined when there is no lease. */
  nextLeaseDeadlineMs(): number | undefined {
    let earliest: number | undefined;
    for (const lease of this.leases.values()) {
      if (earliest === undefined || lease.deadlineMs < earliest) earliest = lease.deadlineMs;
    }
    return earliest;
  }

  apply<T extends KvOperation>(operation: T, nowMs: number): KvApplied<KvOutcomeOf<T>> {
    const applied = this.applyOperation(operation, nowMs);
    assert(applied.outcome.type === operation.type);
    assert(applied.revision === this.currentRevision);
    assert(
      applied.events.every((event) => event.kv.modRevision === applied.revision),
      'every event of an operation is at its revision',
    );
    return applied as KvApplied<KvOutcomeOf<T>>;
  }

  toSnapshot(): KvSnapshot {
    return {
      revision: this.currentRevision,
      leaseCounter: this.leaseCounter,
      keys: this.range(''),
      leases: [...this.leases.values()].map((lease) => ({ id: lease.id, ttlMs: lease.ttlMs })),
    };
  }

  /** Checks every invariant of the state; O(keys). For tests and after loading a snapshot. */
  checkInvariants(): void {
    assert.equal(this.sortedKeys.size, this.entries.size, 'sorted keys match the entries');
    let size = 0;
    for (const kv of this.entries.values()) {
      size += kv.key.length + kv.value.byteLength;
      assert(
        kv.version >= 1 && kv.createRevision <= kv.modRevision && kv.modRevision <= this.currentRevision,
      );
      if (kv.lease !== null)
        assert(this.leases.get(kv.lease)?.keys.has(kv.key), `key ${kv.key} is in its lease`);
    }
    assert.equal(size, this.storedSize, 'stored size matches the entries');
    for (const lease of this.leases.values()) {
      for (const key of lease.keys)
        assert.equal(this.entries.get(key)?.lease, lease.id, `lease ${lease.id} key ${key}`);
    }
  }

  private applyOperation(operation: KvOperation, nowMs: number): KvApplied {
    switch (operation.type) {
      case 'put': {
        if (operation.lease !== null) this.requireLease(operation.lease);
        const revision = this.currentRevision + 1;
        const events: WatchEvent[] = [];
        const previous = this.writeKey(operation.key, operation.value, operation.lease, revision, events);
        this.currentRevision = revision;
        return { outcome: { type: 'put', revision, previous }, revision, events, mutated: true };
      }
      case 'delete': {
        const revision = this.currentRevision + 1;
        const events: WatchEvent[] = [];
        const deleted = this.deleteKeys(operation.key, operation.prefix, revision, events);
        if (deleted > 0) this.currentRevision = revision;
        const current = this.currentRevision;
        return {
          outcome: { type: 'delete', revision: current, deleted },
          revision: current,
          events,
          mutated: deleted > 0,
        };
      }
      case 'txn':
        return this.applyTxn(operation);
      case 'grantLease': {
        this.leaseCounter += 1;
        const leaseId = this.leaseCounter.toString(16).padStart(16, '0');
        assert(!this.leases.has(leaseId));
        this.leases.set(leaseId, {
          id: leaseId,
          ttlMs: operation.ttlMs,
          deadlineMs: nowMs + operation.ttlMs,
          keys: new Set(),
        });
        const revision = this.currentRevision;
        return {
          outcome: { type: 'grantLease', leaseId, ttlMs: operation.ttlMs },
          revision,
          events: [],
          mutated: true,
        };
      }
      case 'keepAlive': {
        const lease = this.requireLease(operation.leaseId);
        if (lease.deadlineMs <= nowMs) throw new LeaseNotFoundError(lease.id, `lease ${lease.id} expired`);
        lease.deadlineMs = nowMs + lease.ttlMs;
        const revision = this.currentRevision;
        return { outcome: { type: 'keepAlive', ttlMs: lease.ttlMs }, revision, events: [], mutated: false };
      }
      case 'revokeLease': {
        const lease = this.requireLease(operation.leaseId);
        const revision = this.currentRevision + 1;
        const events: WatchEvent[] = [];
        const keys = [...lease.keys].sort(compareKeys);
        for (const key of keys) this.deleteKeys(key, false, revision, events);
        assert.equal(lease.keys.size, 0);
        this.leases.delete(lease.id);
        if (keys.length > 0) this.currentRevision = revision;
        const current = this.currentRevision;
        return {
          outcome: { type: 'revokeLease', revision: current, deleted: keys.length },
          revision: current,
          events,
          mutated: true,
        };
      }
    }
  }

  private applyTxn(operation: Extract<KvOperation, { type: 'txn' }>): KvApplied {
    const succeeded = operation.compare.every((compare) => this.evaluate(compare));
    const branch = succeeded ? operation.success : operation.failure;
    for (const step of branch)
      if (step.type === 'put' && step.lease !== undefined) this.requireLease(step.lease);
    const revision = this.currentRevision + 1;
    const events: WatchEvent[] = [];
    const results: (KeyValue[] | number)[] = [];
    for (const step of branch) results.push(this.applyStep(step, revision, events));
    if (events.length > 0) this.currentRevision = revision;
    const current = this.currentRevision;
    return {
      outcome: { type: 'txn', succeeded, revision: current, results },
      revision: current,
      events,
      mutated: events.length > 0,
    };
  }

  private applyStep(step: Operation, revision: number, events: WatchEvent[]): KeyValue[] | number {
    switch (step.type) {
      case 'put':
        this.writeKey(step.key, step.value, step.lease ?? null, revision, events);
        return revision;
      case 'delete':
        return this.deleteKeys(step.key, step.prefix === true, revision, events);
      case 'get': {
        if (step.prefix) return this.range(step.key);
        const kv = this.entries.get(step.key);
        return kv ? [kv] : [];
      }
    }
  }

  private evaluate(compare: Compare): boolean {
    const kv = this.entries.get(compare.key);
    switch (compare.target) {
      case 'version':
        return compareNumbers(kv?.version ?? 0, compare.op, compare.value);
      case 'createRevision':
        return compareNumbers(kv?.createRevision ?? 0, compare.op, compare.value);
      case 'modRevision':
        return compareNumbers(kv?.modRevision ?? 0, compare.op, compare.value);
      case 'value':
        // etcd: a value compare on a missing key always fails (a missing value is not an empty one).
        if (kv === undefined) return false;
        return bytesEqual(kv.value, compare.value) === (compare.op === '=');
      case 'lease':
        return ((kv?.lease ?? null) === compare.value) === (compare.op === '=');
    }
  }

  private requireLease(leaseId: string): Lease {
    const lease = this.leases.get(leaseId);
    if (lease === undefined) throw new LeaseNotFoundError(leaseId);
    return lease;
  }

  /** Puts one key at `revision`; returns the key-value it replaced. */
  private writeKey(
    key: string,
    value: Uint8Array,
    lease: string | null,
    revision: number,
    events: WatchEvent[],
  ): KeyValue | null {
    const previous = this.entries.get(key) ?? null;
    const kv: KeyValue = Object.freeze({
      key,
      value,
      createRevision: previous?.createRevision ?? revision,
      modRevision: revision,
      version: (previous?.version ?? 0) + 1,
      lease,
    });
    this.replaceEntry(key, previous, kv);
    events.push({ type: 'put', kv, previous });
    return previous;
  }

  /** Deletes one key, or every key under a prefix, at `revision`; returns how many were deleted. */
  private deleteKeys(key: string, prefix: boolean, revision: number, events: WatchEvent[]): number {
    const keys = prefix ? this.sortedKeys.withPrefix(key) : this.entries.has(key) ? [key] : [];
    for (const deletedKey of keys) {
      this.replaceEntry(deletedKey, this.entries.get(deletedKey) ?? null, null);
      const tombstone: KeyValue = Object.freeze({
        key: deletedKey,
        value: EMPTY_VALUE,
        createRevision: 0,
        modRevision: revision,
        version: 0,
        lease: null,
      });
      events.push({ type: 'delete', kv: tombstone });
    }
    return keys.length;
  }

  /** Replaces the entry of `key` (`previous`, null if absent) with `next` (null to delete it). */
  private replaceEntry(key: string, previous: KeyValue | null, next: KeyValue | null): void {
    assert((this.entries.get(key) ?? null) === previous, `entry of ${key} is the one replaced`);
    if (previous !== null) {
      this.storedSize -= previous.key.length + previous.value.byteLength;
      if (previous.lease !== null) this.leases.get(previous.lease)?.keys.delete(key);
    }
    if (next === null) {
      this.entries.delete(key);
      if (previous !== null) this.sortedKeys.remove(key);
      return;
    }
    assert(next.key === key);
    this.entries.set(key, next);
    if (previous === null) this.sortedKeys.insert(key);
    this.storedSize += next.key.length + next.value.byteLength;
    if (next.lease !== null) this.requireLease(next.lease).keys.add(key);
  }
}

function compareNumbers(actual: number, op: '=' | '!=' | '<' | '>', expected: number): boolean {
  switch (op) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '<':
      return actual < expected;
    case '>':
      return actual > expected;
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}
