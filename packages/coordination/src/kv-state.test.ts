import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Compare, KeyValue, Operation, WatchEvent } from './coordination-store.js';
import { LeaseNotFoundError } from './errors.js';
import { type KvOperation, KvState } from './kv-state.js';
import { validateTxn } from './validate-request.js';

/**
 * KvState against a model written as plainly as possible: a Map of keys, a revision counter, a Map of
 * leases. Random operations run on both; after every step the outcome, the events and the whole state must
 * agree, and the state's own invariants must hold.
 */

interface ModelKey {
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: string | null;
}

interface ModelLease {
  ttlMs: number;
  deadlineMs: number;
}

type ModelOutcome =
  | { type: 'put'; revision: number; previous: string | null }
  | { type: 'delete'; revision: number; deleted: number }
  | { type: 'txn'; succeeded: boolean; revision: number; results: (string[] | number)[] }
  | { type: 'grantLease'; ttlMs: number }
  | { type: 'keepAlive'; ttlMs: number }
  | { type: 'revokeLease'; revision: number; deleted: number }
  | { type: 'leaseNotFound' };

class Model {
  revision = 1;
  keys = new Map<string, ModelKey>();
  leases = new Map<string, ModelLease>();
  events: string[] = [];

  sorted(prefix: string): string[] {
    return [...this.keys.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  describe(key: string): string {
    const entry = this.keys.get(key);
    if (entry === undefined) return `${key} missing`;
    return `${key}=${entry.value} c${entry.createRevision} m${entry.modRevision} v${entry.version} l${entry.lease}`;
  }

  put(key: string, value: string, lease: string | null, revision: number): string | null {
    const previous = this.keys.get(key);
    this.keys.set(key, {
      value,
      createRevision: previous?.createRevision ?? revision,
      modRevision: revision,
      version: (previous?.version ?? 0) + 1,
      lease,
    });
    this.events.push(`put ${this.describe(key)} was ${previous ? previous.value : 'none'}`);
    return previous ? previous.value : null;
  }

  delete(key: string, prefix: boolean, revision: number): number {
    const keys = prefix ? this.sorted(key) : this.keys.has(key) ? [key] : [];
    for (const deleted of keys) {
      this.keys.delete(deleted);
      this.events.push(`delete ${deleted} @${revision}`);
    }
    return keys.length;
  }

  holds(compare: Compare): boolean {
    const entry = this.keys.get(compare.key);
    if (compare.target === 'value') {
      if (entry === undefined) return false;
      return (entry.value === Buffer.from(compare.value).toString()) === (compare.op === '=');
    }
    if (compare.target === 'lease')
      return ((entry?.lease ?? null) === compare.value) === (compare.op === '=');
    const actual = entry === undefined ? 0 : entry[compare.target];
    switch (compare.op) {
      case '=':
        return actual === compare.value;
      case '!=':
        return actual !== compare.value;
      case '<':
        return actual < compare.value;
      case '>':
        return actual > compare.value;
    }
  }

  apply(operation: KvOperation, nowMs: number, grantedId: string | null): ModelOutcome {
    this.events = [];
    const next = this.revision + 1;
    switch (operation.type) {
      case 'put': {
        if (operation.lease !== null && !this.leases.has(operation.lease)) return { type: 'leaseNotFound' };
        const previous = this.put(
          operation.key,
          Buffer.from(operation.value).toString(),
          operation.lease,
          next,
        );
        this.revision = next;
        return { type: 'put', revision: next, previous };
      }
      case 'delete': {
        const deleted = this.delete(operation.key, operation.prefix, next);
        if (deleted > 0) this.revision = next;
        return { type: 'delete', revision: this.revision, deleted };
      }
      case 'txn': {
        const succeeded = operation.compare.every((compare) => this.holds(compare));
        const branch = succeeded ? operation.success : operation.failure;
        if (
          branch.some(
            (step) => step.type === 'put' && step.lease !== undefined && !this.leases.has(step.lease),
          )
        ) {
          return { type: 'leaseNotFound' };
        }
        const results = branch.map((step): string[] | number => {
          if (step.type === 'put') {
            this.put(step.key, Buffer.from(step.value).toString(), step.lease ?? null, next);
            return next;
          }
          if (step.type === 'delete') return this.delete(step.key, step.prefix === true, next);
          return (step.prefix ? this.sorted(step.key) : this.keys.has(step.key) ? [step.key] : []).map(
            (key) => this.describe(key),
          );
        });
        if (this.events.length > 0) this.revision = next;
        return { type: 'txn', succeeded, revision: this.revision, results };
      }
      case 'grantLease':
        this.leases.set(grantedId as string, { ttlMs: operation.ttlMs, deadlineMs: nowMs + operation.ttlMs });
        return { type: 'grantLease', ttlMs: operation.ttlMs };
      case 'keepAlive': {
        const lease = this.leases.get(operation.leaseId);
        if (lease === undefined || lease.deadlineMs <= nowMs) return { type: 'leaseNotFound' };
        lease.deadlineMs = nowMs + lease.ttlMs;
        return { type: 'keepAlive', ttlMs: lease.ttlMs };
      }
      case 'revokeLease': {
        if (!this.leases.has(operation.leaseId)) return { type: 'leaseNotFound' };
        const keys = [...this.keys.entries()]
          .filter(([, entry]) => entry.lease === operation.leaseId)
          .map(([key]) => key)
          .sort();
        for (const key of keys) this.delete(key, false, next);
        this.leases.delete(operation.leaseId);
        if (keys.length > 0) this.revision = next;
        return { type: 'revokeLease', revision: this.revision, deleted: keys.length };
      }
    }
  }

  expiredLeaseIds(nowMs: number): string[] {
    return [...this.leases.entries()]
      .filter(([, lease]) => lease.deadlineMs <= nowMs)
      .sort(([idA, a], [idB, b]) => a.deadlineMs - b.deadlineMs || (idA < idB ? -1 : 1))
      .map(([id]) => id);
  }
}

function describeKv(kv: KeyValue): string {
  return `${kv.key}=${Buffer.from(kv.value).toString()} c${kv.createRevision} m${kv.modRevision} v${kv.version} l${kv.lease}`;
}

function describeEvent(event: WatchEvent): string {
  if (event.type === 'delete') return `delete ${event.kv.key} @${event.kv.modRevision}`;
  return `put ${describeKv(event.kv)} was ${event.previous ? Buffer.from(event.previous.value).toString() : 'none'}`;
}

/** Runs one operation on the real state, in the model's terms. */
function applyReal(
  state: KvState,
  operation: KvOperation,
  nowMs: number,
): { outcome: ModelOutcome; events: string[]; leaseId: string | null } {
  try {
    const { outcome, events } = state.apply(operation, nowMs);
    const described = events.map(describeEvent);
    switch (outcome.type) {
      case 'put':
        return {
          outcome: {
            type: 'put',
            revision: outcome.revision,
            previous: outcome.previous ? Buffer.from(outcome.previous.value).toString() : null,
          },
          events: described,
          leaseId: null,
        };
      case 'txn':
        return {
          outcome: {
            type: 'txn',
            succeeded: outcome.succeeded,
            revision: outcome.revision,
            results: outcome.results.map((result) =>
              typeof result === 'number' ? result : result.map(describeKv),
            ),
          },
          events: described,
          leaseId: null,
        };
      case 'grantLease':
        return {
          outcome: { type: 'grantLease', ttlMs: outcome.ttlMs },
          events: described,
          leaseId: outcome.leaseId,
        };
      default:
        return { outcome, events: described, leaseId: null };
    }
  } catch (error) {
    if (!LeaseNotFoundError.isInstance(error)) throw error;
    return { outcome: { type: 'leaseNotFound' }, events: [], leaseId: null };
  }
}

const KEYS = ['/a', '/a/b', '/a/c', '/ab', '/b', '/b/a'];
const PREFIXES = ['', '/a', '/a/', '/b/', '/c'];

/** A step: an operation whose lease references are indexes into the leases granted so far. */
type Step =
  | { type: 'put'; key: string; value: string; lease: number | null }
  | { type: 'delete'; key: string; prefix: boolean }
  | { type: 'txn'; compare: StepCompare[]; success: StepOperation[]; failure: StepOperation[] }
  | { type: 'grantLease'; ttlMs: number }
  | { type: 'keepAlive'; lease: number }
  | { type: 'revokeLease'; lease: number }
  | { type: 'advance'; durationMs: number };

type StepCompare =
  | {
      key: string;
      target: 'version' | 'createRevision' | 'modRevision';
      op: '=' | '!=' | '<' | '>';
      value: number;
    }
  | { key: string; target: 'value'; op: '=' | '!='; value: string }
  | { key: string; target: 'lease'; op: '=' | '!='; value: number | null };

type StepOperation =
  | { type: 'put'; key: string; value: string; lease: number | null }
  | { type: 'delete'; key: string; prefix: boolean }
  | { type: 'get'; key: string; prefix: boolean };

const keyArbitrary = fc.constantFrom(...KEYS);
const valueArbitrary = fc.constantFrom('x', 'y', 'z', '');
const leaseArbitrary = fc.option(fc.nat(5), { nil: null });
const stepOperationArbitrary: fc.Arbitrary<StepOperation> = fc.oneof(
  fc.record({
    type: fc.constant('put' as const),
    key: keyArbitrary,
    value: valueArbitrary,
    lease: leaseArbitrary,
  }),
  fc.oneof(
    fc.record({ type: fc.constant('delete' as const), key: keyArbitrary, prefix: fc.constant(false) }),
    fc.record({
      type: fc.constant('delete' as const),
      key: fc.constantFrom(...PREFIXES),
      prefix: fc.constant(true),
    }),
  ),
  fc.oneof(
    fc.record({ type: fc.constant('get' as const), key: keyArbitrary, prefix: fc.constant(false) }),
    fc.record({
      type: fc.constant('get' as const),
      key: fc.constantFrom(...PREFIXES),
      prefix: fc.constant(true),
    }),
  ),
);
const compareArbitrary: fc.Arbitrary<StepCompare> = fc.oneof(
  fc.record({
    key: keyArbitrary,
    target: fc.constantFrom('version' as const, 'createRevision' as const, 'modRevision' as const),
    op: fc.constantFrom('=' as const, '!=' as const, '<' as const, '>' as const),
    value: fc.nat(12),
  }),
  fc.record({
    key: keyArbitrary,
    target: fc.constant('value' as const),
    op: fc.constantFrom('=' as const, '!=' as const),
    value: valueArbitrary,
  }),
  fc.record({
    key: keyArbitrary,
    target: fc.constant('lease' as const),
    op: fc.constantFrom('=' as const, '!=' as const),
    value: leaseArbitrary,
  }),
);
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('put' as const),
      key: keyArbitrary,
      value: valueArbitrary,
      lease: leaseArbitrary,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('delete' as const),
      key: keyArbitrary,
      prefix: fc.constant(false),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('delete' as const),
      key: fc.constantFrom(...PREFIXES),
      prefix: fc.constant(true),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('txn' as const),
      compare: fc.array(compareArbitrary, { maxLength: 3 }),
      success: fc.array(stepOperationArbitrary, { maxLength: 4 }),
      failure: fc.array(stepOperationArbitrary, { maxLength: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('grantLease' as const),
      ttlMs: fc.integer({ min: 10, max: 100 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('keepAlive' as const), lease: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('revokeLease' as const), lease: fc.nat(5) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('advance' as const),
      durationMs: fc.integer({ min: 1, max: 60 }),
    }),
  },
);

/** The id of the `index`-th lease granted, or an id never granted. */
function leaseId(granted: string[], index: number): string {
  return granted[index] ?? `never-granted-${index}`;
}

function toOperation(step: StepOperation, granted: string[]): Operation {
  if (step.type !== 'put')
    return step.prefix
      ? { type: step.type, key: step.key, prefix: true }
      : { type: step.type, key: step.key };
  const value = Buffer.from(step.value);
  return step.lease === null
    ? { type: 'put', key: step.key, value }
    : { type: 'put', key: step.key, value, lease: leaseId(granted, step.lease) };
}

function toCompare(step: StepCompare, granted: string[]): Compare {
  if (step.target === 'value') return { ...step, value: Buffer.from(step.value) };
  if (step.target === 'lease')
    return { ...step, value: step.value === null ? null : leaseId(granted, step.value) };
  return step;
}

describe('KvState', () => {
  it('agrees with a plain Map model on outcomes, events and state for random operations', () => {
    fc.assert(
      fc.property(fc.array(stepArbitrary, { minLength: 1, maxLength: 80 }), (steps) => {
        const state = new KvState();
        const model = new Model();
        const granted: string[] = [];
        let nowMs = 0;
        const check = (operation: KvOperation) => {
          const real = applyReal(state, operation, nowMs);
          const expected = model.apply(operation, nowMs, real.leaseId);
          expect(real.outcome).toEqual(expected);
          expect(real.events).toEqual(model.events);
          if (real.leaseId !== null) granted.push(real.leaseId);
        };
        for (const step of steps) {
          switch (step.type) {
            case 'advance':
              nowMs += step.durationMs;
              expect(state.expiredLeaseIds(nowMs)).toEqual(model.expiredLeaseIds(nowMs));
              for (const id of model.expiredLeaseIds(nowMs))
                check({ type: 'revokeLease', leaseId: id, reason: 'expired' });
              break;
            case 'put':
              check({
                type: 'put',
                key: step.key,
                value: Buffer.from(step.value),
                lease: step.lease === null ? null : leaseId(granted, step.lease),
              });
              break;
            case 'delete':
              check(step);
              break;
            case 'txn': {
              const request = {
                compare: step.compare.map((compare) => toCompare(compare, granted)),
                success: step.success.map((operation) => toOperation(operation, granted)),
                failure: step.failure.map((operation) => toOperation(operation, granted)),
              };
              try {
                validateTxn(request);
              } catch {
                break; // a request the store refuses before it reaches the state
              }
              check({ type: 'txn', ...request });
              break;
            }
            case 'grantLease':
              check(step);
              break;
            case 'keepAlive':
              check({ type: 'keepAlive', leaseId: leaseId(granted, step.lease) });
              break;
            case 'revokeLease':
              check({ type: 'revokeLease', leaseId: leaseId(granted, step.lease), reason: 'revoked' });
              break;
          }
          state.checkInvariants();
          expect(state.revision).toBe(model.revision);
          expect(state.range('').map(describeKv)).toEqual(model.sorted('').map((key) => model.describe(key)));
          expect(state.leaseIds().sort()).toEqual([...model.leases.keys()].sort());
        }
        const restored = KvState.fromSnapshot(state.toSnapshot(), nowMs);
        expect(restored.range('').map(describeKv)).toEqual(state.range('').map(describeKv));
        expect(restored.revision).toBe(state.revision);
        expect(restored.leaseIds().sort()).toEqual(state.leaseIds().sort());
      }),
      { numRuns: 300 },
    );
  });

  it('leaves the state untouched when a transaction fails on an unknown lease', () => {
    const state = new KvState();
    state.apply({ type: 'put', key: '/a', value: Buffer.from('1'), lease: null }, 0);
    const before = state.range('').map(describeKv);
    expect(() =>
      state.apply(
        {
          type: 'txn',
          compare: [],
          success: [
            { type: 'delete', key: '/a' },
            { type: 'put', key: '/b', value: Buffer.from('2'), lease: 'missing' },
          ],
          failure: [],
        },
        0,
      ),
    ).toThrow(LeaseNotFoundError);
    expect(state.range('').map(describeKv)).toEqual(before);
    expect(state.revision).toBe(2);
  });
});
