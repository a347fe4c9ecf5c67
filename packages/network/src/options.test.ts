import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from './errors.js';
import { networkOptionRelations, networkOptionTable } from './network-options.js';
import { boundRelation, describeOptions, resolveOptions } from './options.js';

function resolve(input: object) {
  return resolveOptions(networkOptionTable, input, networkOptionRelations);
}

function failure(input: object): InvalidOptionError {
  try {
    resolve(input);
  } catch (error) {
    if (InvalidOptionError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected the options to be refused');
}

describe('network options', () => {
  it("fills in Kafka's defaults for everything not given", () => {
    const options = resolve({ bootstrapServers: 'localhost:9092' });
    expect(options).toEqual({
      bootstrapServers: [{ host: 'localhost', port: 9092 }],
      clientId: '',
      requestTimeoutMs: 30_000,
      metadataMaxAgeMs: 300_000,
      retryBackoffMs: 100,
      retryBackoffMaxMs: 1_000,
      reconnectBackoffMs: 50,
      reconnectBackoffMaxMs: 1_000,
      socketConnectionSetupTimeoutMs: 10_000,
    });
  });

  it('accepts a bootstrap list as a comma-separated string or an array, IPv6 in brackets', () => {
    expect(resolve({ bootstrapServers: 'a:1, b:2' }).bootstrapServers).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ]);
    expect(resolve({ bootstrapServers: ['[::1]:9092', 'PLAINTEXT://c:3'] }).bootstrapServers).toEqual([
      { host: '::1', port: 9092 },
      { host: 'c', port: 3 },
    ]);
  });

  it('refuses a missing or malformed bootstrap list, naming the option', () => {
    expect(failure({}).option).toBe('bootstrapServers');
    expect(failure({}).message).toContain('bootstrap.servers');
    expect(failure({ bootstrapServers: 'localhost' }).message).toContain('"localhost" is not host:port');
    expect(failure({ bootstrapServers: 'h:70000' }).message).toContain('outside 1-65535');
    expect(failure({ bootstrapServers: ' , ' }).message).toContain('at least one broker');
  });

  it('refuses a value out of bounds or of the wrong type, naming the option and its Kafka config', () => {
    const negative = failure({ bootstrapServers: 'h:1', requestTimeoutMs: 0 });
    expect(negative.option).toBe('requestTimeoutMs');
    expect(negative.message).toBe(
      'requestTimeoutMs (request.timeout.ms) must be an integer in [1, 2147483647] ms, got 0',
    );
    expect(failure({ bootstrapServers: 'h:1', retryBackoffMs: '100' }).message).toContain('got "100"');
    expect(failure({ bootstrapServers: 'h:1', retryBackoffMs: 1.5 }).option).toBe('retryBackoffMs');
  });

  it('refuses an unknown option and suggests the closest name', () => {
    const typo = failure({ bootstrapServers: 'h:1', requestTimeoutMS: 5 });
    expect(typo.option).toBe('requestTimeoutMS');
    expect(typo.message).toBe('unknown option requestTimeoutMS; did you mean requestTimeoutMs?');
    expect(failure({ bootstrapServers: 'h:1', 'request.timeout.ms': 5 }).message).toContain(
      'did you mean requestTimeoutMs?',
    );
  });

  it('checks relations between options', () => {
    const relation = failure({ bootstrapServers: 'h:1', retryBackoffMs: 2_000 });
    expect(relation.option).toBe('retryBackoffMaxMs');
    expect(relation.message).toBe('retryBackoffMaxMs (1000) must be at least retryBackoffMs (2000)');
    expect(
      resolve({ bootstrapServers: 'h:1', retryBackoffMs: 2_000, retryBackoffMaxMs: 2_000 }).retryBackoffMs,
    ).toBe(2_000);
  });

  it('documents every option with its Kafka config and default', () => {
    const table = describeOptions(networkOptionTable);
    expect(table).toContain('| `requestTimeoutMs` | `request.timeout.ms` | `30000` |');
    expect(table).toContain('| `bootstrapServers` | `bootstrap.servers` | required |');
  });

  it('states bounds between options as at least, at most or below a sum of others', () => {
    interface Sizes {
      batchBytes: number;
      headerBytes: number;
      bodyBytes: number;
    }
    const sizes: Sizes = { batchBytes: 100, headerBytes: 61, bodyBytes: 39 };
    const check = (bound: 'at least' | 'at most' | 'below', values: Sizes) =>
      boundRelation<Sizes>('batchBytes', bound, ['headerBytes', 'bodyBytes']).check(values);
    expect(check('at least', sizes)).toBeNull();
    expect(check('at most', sizes)).toBeNull();
    expect(check('below', sizes)).toBe('batchBytes (100) must be below headerBytes + bodyBytes (100)');
    expect(check('at least', { ...sizes, batchBytes: 99 })).toBe(
      'batchBytes (99) must be at least headerBytes + bodyBytes (100)',
    );
    expect(check('at most', { ...sizes, batchBytes: 101 })).toBe(
      'batchBytes (101) must not exceed headerBytes + bodyBytes (100)',
    );
  });
});
