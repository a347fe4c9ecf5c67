import { InvalidOptionError, resolveOptions } from '@sluice/network';
import { describe, expect, it } from 'vitest';
import { consumerOptionRelations, consumerOptionTable } from './consumer-options.js';

function resolve(options: object) {
  return resolveOptions(
    consumerOptionTable,
    { bootstrapServers: 'h:1', ...options },
    consumerOptionRelations,
  );
}

describe('consumer options', () => {
  it("take Kafka's consumer defaults", () => {
    expect(resolve({})).toMatchObject({
      autoOffsetReset: 'latest',
      fetchMinBytes: 1,
      fetchMaxWaitMs: 500,
      fetchMaxBytes: 52_428_800,
      maxPartitionFetchBytes: 1_048_576,
      isolationLevel: 'read_uncommitted',
      checkCrcs: true,
      maxPollRecords: 500,
      allowAutoTopicCreation: true,
      sessionTimeoutMs: 45_000,
      heartbeatIntervalMs: 3_000,
      groupId: '',
      groupInstanceId: '',
      maxPollIntervalMs: 300_000,
      enableAutoCommit: true,
      autoCommitIntervalMs: 5_000,
      partitionAssignmentStrategy: ['range', 'cooperative-sticky'],
    });
  });

  it('take assignors as a list or as Kafka writes them, and refuse unknown or repeated ones', () => {
    expect(
      resolve({ partitionAssignmentStrategy: 'roundrobin, RoundRobinAssigner' }).partitionAssignmentStrategy,
    ).toEqual(['roundrobin', 'RoundRobinAssigner']);
    expect(
      resolve({ partitionAssignmentStrategy: ['cooperative-sticky'] }).partitionAssignmentStrategy,
    ).toEqual(['cooperative-sticky']);
    for (const bad of [[], ['sticky'], ['range', 'range'], 'range,,roundrobin']) {
      expect(() => resolve({ partitionAssignmentStrategy: bad })).toThrow(InvalidOptionError);
    }
  });

  it('refuse a group instance id without a group', () => {
    expect(() => resolve({ groupInstanceId: 'instance-1' })).toThrow('groupInstanceId needs a groupId');
    expect(resolve({ groupId: 'g', groupInstanceId: 'instance-1' }).groupInstanceId).toBe('instance-1');
  });

  it('refuse a heartbeat interval that is not below the session timeout, naming the option', () => {
    let error: unknown;
    try {
      resolve({ sessionTimeoutMs: 6_000, heartbeatIntervalMs: 6_000 });
    } catch (caught) {
      error = caught;
    }
    expect(InvalidOptionError.isInstance(error)).toBe(true);
    expect((error as InvalidOptionError).option).toBe('heartbeatIntervalMs');
    expect((error as Error).message).toBe('heartbeatIntervalMs (6000) must be below sessionTimeoutMs (6000)');
  });

  it('refuse values outside their choices or bounds', () => {
    expect(() => resolve({ autoOffsetReset: 'smallest' })).toThrow(
      'autoOffsetReset (auto.offset.reset) must be one of "earliest", "latest", "none", got "smallest"',
    );
    expect(() => resolve({ maxPollRecords: 0 })).toThrow(
      'maxPollRecords (max.poll.records) must be an integer in [1,',
    );
    expect(() => resolve({ fetchMaxWait: 10 })).toThrow(
      'unknown option fetchMaxWait; did you mean fetchMaxWaitMs?',
    );
  });
});
