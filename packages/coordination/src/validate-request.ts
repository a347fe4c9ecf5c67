import type { Compare, Operation } from './coordination-store.js';
import { InvalidRequestError } from './errors.js';
import {
  KEY_BYTES_MAX,
  LEASE_TTL_MAX_MS,
  LEASE_TTL_MIN_MS,
  REQUEST_BYTES_MAX,
  TXN_OPERATIONS_MAX,
  VALUE_BYTES_MAX,
} from './limits.js';

/**
 * Checks of requests against the store's rules and limits, shared by every backend so that a request the
 * embedded store accepts is one etcd accepts too. Each function throws `InvalidRequestError` and returns
 * the bytes the request carries, for the request size limit.
 */

/** A lone UTF-16 surrogate: a string that has no UTF-8 encoding. */
const LONE_SURROGATE = /\p{Surrogate}/u;
const LEASE_ID_CHARACTERS_MAX = 64;

function validateKeyText(key: unknown, what: string, allowEmpty: boolean): number {
  if (typeof key !== 'string') throw new InvalidRequestError(`${what} must be a string`);
  if (!allowEmpty && key.length === 0) throw new InvalidRequestError(`${what} must not be empty`);
  if (LONE_SURROGATE.test(key)) throw new InvalidRequestError(`${what} is not well-formed Unicode`);
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > KEY_BYTES_MAX) {
    throw new InvalidRequestError(`${what} is ${bytes} bytes, more than the limit of ${KEY_BYTES_MAX}`);
  }
  return bytes;
}

export function validateKey(key: unknown): number {
  return validateKeyText(key, 'key', false);
}

/** A prefix may be empty: '' selects every key. */
export function validatePrefix(prefix: unknown): number {
  return validateKeyText(prefix, 'prefix', true);
}

export function validateValue(value: unknown): number {
  if (!(value instanceof Uint8Array)) throw new InvalidRequestError('value must be a Uint8Array');
  if (value.byteLength > VALUE_BYTES_MAX) {
    throw new InvalidRequestError(
      `value is ${value.byteLength} bytes, more than the limit of ${VALUE_BYTES_MAX}`,
    );
  }
  return value.byteLength;
}

export function validateLeaseId(leaseId: unknown): void {
  if (typeof leaseId !== 'string' || leaseId.length === 0 || leaseId.length > LEASE_ID_CHARACTERS_MAX) {
    throw new InvalidRequestError(
      `lease id must be a non-empty string of at most ${LEASE_ID_CHARACTERS_MAX} characters`,
    );
  }
}

/** The TTL a lease is granted with: a whole number of ms, raised to the minimum as etcd does. */
export function grantedTtlMs(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new InvalidRequestError(`lease TTL must be a positive number of ms, got ${String(ttlMs)}`);
  }
  if (ttlMs > LEASE_TTL_MAX_MS) {
    throw new InvalidRequestError(`lease TTL ${ttlMs} ms is above the limit of ${LEASE_TTL_MAX_MS} ms`);
  }
  return Math.max(LEASE_TTL_MIN_MS, Math.ceil(ttlMs));
}

export function validateRevision(revision: unknown, what: string): number {
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 1) {
    throw new InvalidRequestError(`${what} must be an integer >= 1, got ${String(revision)}`);
  }
  return revision;
}

function checkRequestBytes(bytes: number): number {
  if (bytes > REQUEST_BYTES_MAX) {
    throw new InvalidRequestError(`request is ${bytes} bytes, more than the limit of ${REQUEST_BYTES_MAX}`);
  }
  return bytes;
}

export function validatePut(key: unknown, value: unknown, lease: unknown): number {
  const bytes = validateKey(key) + validateValue(value);
  if (lease !== undefined) validateLeaseId(lease);
  return checkRequestBytes(bytes);
}

const NUMERIC_TARGETS = new Set(['version', 'createRevision', 'modRevision']);
const NUMERIC_OPS = new Set(['=', '!=', '<', '>']);
const EQUALITY_OPS = new Set(['=', '!=']);

function validateCompare(compare: Compare, index: number): number {
  if (typeof compare !== 'object' || compare === null) {
    throw new InvalidRequestError(`compare ${index} must be an object`);
  }
  const keyBytes = validateKey(compare.key);
  if (NUMERIC_TARGETS.has(compare.target)) {
    if (!NUMERIC_OPS.has(compare.op))
      throw new InvalidRequestError(`compare ${index}: unknown op ${compare.op}`);
    if (typeof compare.value !== 'number' || !Number.isSafeInteger(compare.value)) {
      throw new InvalidRequestError(`compare ${index}: ${compare.target} must be compared with an integer`);
    }
    return keyBytes;
  }
  if (!EQUALITY_OPS.has(compare.op)) {
    throw new InvalidRequestError(`compare ${index}: ${compare.target} compares only with '=' or '!='`);
  }
  if (compare.target === 'value') return keyBytes + validateValue(compare.value);
  if (compare.target === 'lease') {
    if (compare.value !== null) validateLeaseId(compare.value);
    return keyBytes;
  }
  throw new InvalidRequestError(
    `compare ${index}: unknown target ${String((compare as { target: unknown }).target)}`,
  );
}

function validateBranch(operations: Operation[], branch: string): number {
  if (!Array.isArray(operations)) throw new InvalidRequestError(`${branch} must be an array`);
  if (operations.length > TXN_OPERATIONS_MAX) {
    throw new InvalidRequestError(
      `${branch} has ${operations.length} operations, more than the limit of ${TXN_OPERATIONS_MAX}`,
    );
  }
  let bytes = 0;
  const putKeys = new Set<string>();
  const deletes: { key: string; prefix: boolean }[] = [];
  operations.forEach((operation, index) => {
    if (typeof operation !== 'object' || operation === null) {
      throw new InvalidRequestError(`${branch}[${index}] must be an object`);
    }
    switch (operation.type) {
      case 'put':
        bytes += validatePut(operation.key, operation.value, operation.lease);
        if (putKeys.has(operation.key)) {
          throw new InvalidRequestError(`${branch} puts key ${operation.key} more than once`);
        }
        putKeys.add(operation.key);
        break;
      case 'delete':
        bytes += operation.prefix ? validatePrefix(operation.key) : validateKey(operation.key);
        deletes.push({ key: operation.key, prefix: operation.prefix === true });
        break;
      case 'get':
        bytes += operation.prefix ? validatePrefix(operation.key) : validateKey(operation.key);
        break;
      default:
        throw new InvalidRequestError(
          `${branch}[${index}]: unknown operation type ${String((operation as { type: unknown }).type)}`,
        );
    }
  });
  for (const deletion of deletes) {
    for (const key of putKeys) {
      if (deletion.prefix ? key.startsWith(deletion.key) : key === deletion.key) {
        throw new InvalidRequestError(`${branch} both puts and deletes key ${key}`);
      }
    }
  }
  return bytes;
}

export function validateTxn(request: {
  compare: Compare[];
  success: Operation[];
  failure?: Operation[];
}): number {
  if (typeof request !== 'object' || request === null)
    throw new InvalidRequestError('txn request must be an object');
  if (!Array.isArray(request.compare)) throw new InvalidRequestError('compare must be an array');
  if (request.compare.length > TXN_OPERATIONS_MAX) {
    throw new InvalidRequestError(
      `txn has ${request.compare.length} compares, more than the limit of ${TXN_OPERATIONS_MAX}`,
    );
  }
  let bytes = 0;
  request.compare.forEach((compare, index) => {
    bytes += validateCompare(compare, index);
  });
  bytes += validateBranch(request.success, 'success');
  bytes += validateBranch(request.failure ?? [], 'failure');
  return checkRequestBytes(bytes);
}
