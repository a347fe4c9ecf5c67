import { describe, expect, it } from 'vitest';
import {
  CompactedRevisionError,
  CoordinationError,
  LeaseNotFoundError,
  ResourceExhaustedError,
  StoreClosedError,
} from './errors.js';

describe('coordination errors', () => {
  it('recognises each failure by class, and says whether retrying may help', () => {
    const error = new LeaseNotFoundError('00000000000000a1');
    expect(LeaseNotFoundError.isInstance(error)).toBe(true);
    expect(CoordinationError.isInstance(error)).toBe(true);
    expect(StoreClosedError.isInstance(error)).toBe(false);
    expect(error).toMatchObject({
      name: 'LeaseNotFoundError',
      kind: 'LeaseNotFound',
      leaseId: '00000000000000a1',
    });
    expect(error.retriable).toBe(false);
    expect(new ResourceExhaustedError('too many watches', true).retriable).toBe(true);
    expect(new CompactedRevisionError(3, 9).message).toContain('revision 3 has been compacted');
  });

  it('recognises an error made by another copy of the package', () => {
    const fromAnotherCopy = Object.assign(new Error('lease gone'), {
      [Symbol.for('sluice.coordination.CoordinationError')]: 'LeaseNotFound',
    });
    expect(fromAnotherCopy instanceof LeaseNotFoundError).toBe(false);
    expect(LeaseNotFoundError.isInstance(fromAnotherCopy)).toBe(true);
    expect(CoordinationError.isInstance(fromAnotherCopy)).toBe(true);
    expect(CompactedRevisionError.isInstance(fromAnotherCopy)).toBe(false);
    expect(CoordinationError.isInstance(new Error('plain'))).toBe(false);
    expect(CoordinationError.isInstance(null)).toBe(false);
  });
});
