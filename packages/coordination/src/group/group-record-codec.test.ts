import { DecodeError, Writer } from '@sluice/protocol';
import { describe, expect, it } from 'vitest';
import {
  decodeGroupRecord,
  encodeGroupRecordKey,
  encodeGroupRecordValue,
  type GroupRecord,
  GroupRecordFormatError,
} from './group-record-codec.js';

const hex = (bytes: Buffer | null) => bytes?.toString('hex') ?? null;

describe('offsets topic records', () => {
  it("writes an offset commit in Kafka's layout: key version 1, value version 3", () => {
    const record: GroupRecord = {
      type: 'offset-commit',
      groupId: 'g',
      topic: 't',
      partition: 5,
      value: {
        offset: 258n,
        leaderEpoch: 7,
        metadata: 'm',
        commitTimestampMs: 1000,
        expireTimestampMs: null,
      },
    };
    expect(hex(encodeGroupRecordKey(record))).toBe('0001' + '000167' + '000174' + '00000005');
    expect(hex(encodeGroupRecordValue(record))).toBe(
      '0003' + '0000000000000102' + '00000007' + '00016d' + '00000000000003e8',
    );
    const decoded = decodeGroupRecord(encodeGroupRecordKey(record), encodeGroupRecordValue(record));
    expect(decoded).toEqual(record);
  });

  it('writes version 1 (with the expire timestamp) for a commit with an explicit retention', () => {
    const record: GroupRecord = {
      type: 'offset-commit',
      groupId: 'g',
      topic: 't',
      partition: 0,
      value: { offset: 1n, leaderEpoch: -1, metadata: '', commitTimestampMs: 1000, expireTimestampMs: 5000 },
    };
    expect(hex(encodeGroupRecordValue(record))).toBe(
      '0001' + '0000000000000001' + '0000' + '00000000000003e8' + '0000000000001388',
    );
    expect(decodeGroupRecord(encodeGroupRecordKey(record), encodeGroupRecordValue(record))).toEqual(record);
  });

  it('reads offset commit values of versions 0 and 2, which carry no leader epoch', () => {
    const key = encodeGroupRecordKey({
      type: 'offset-commit',
      groupId: 'g',
      topic: 't',
      partition: 0,
      value: null,
    });
    for (const version of [0, 2]) {
      const value = new Writer().int16(version).int64(9n).string('x').int64(77n).toBuffer();
      expect(decodeGroupRecord(key, value)).toMatchObject({
        value: { offset: 9n, leaderEpoch: -1, metadata: 'x', commitTimestampMs: 77, expireTimestampMs: null },
      });
    }
  });

  it("writes group metadata in Kafka's layout, version 3, and reads it back", () => {
    const record: GroupRecord = {
      type: 'group-metadata',
      groupId: 'g',
      value: {
        protocolType: 'consumer',
        generationId: 4,
        protocolName: 'range',
        leaderId: 'a',
        currentStateTimestampMs: 1234,
        members: [
          {
            memberId: 'a',
            groupInstanceId: 'i',
            clientId: 'c',
            clientHost: '/h',
            rebalanceTimeoutMs: 300,
            sessionTimeoutMs: 100,
            subscription: Buffer.from([1, 2]),
            assignment: Buffer.from([3]),
          },
        ],
      },
    };
    expect(hex(encodeGroupRecordKey(record))).toBe('0002000167');
    const expected = new Writer()
      .int16(3)
      .string('consumer')
      .int32(4)
      .nullableString('range')
      .nullableString('a')
      .int64(1234n)
      .int32(1)
      .string('a')
      .nullableString('i')
      .string('c')
      .string('/h')
      .int32(300)
      .int32(100)
      .bytes(Buffer.from([1, 2]))
      .bytes(Buffer.from([3]))
      .toBuffer();
    expect(hex(encodeGroupRecordValue(record))).toBe(hex(expected));
    expect(decodeGroupRecord(encodeGroupRecordKey(record), encodeGroupRecordValue(record))).toEqual(record);
  });

  it('reads group metadata of version 0, where the rebalance timeout is the session timeout', () => {
    const value = new Writer()
      .int16(0)
      .string('consumer')
      .int32(1)
      .nullableString('range')
      .nullableString('a')
      .int32(1)
      .string('a')
      .string('c')
      .string('/h')
      .int32(10_000)
      .bytes(Buffer.alloc(0))
      .bytes(Buffer.alloc(0))
      .toBuffer();
    const decoded = decodeGroupRecord(Buffer.from('0002000167', 'hex'), value);
    expect(decoded).toMatchObject({
      value: {
        currentStateTimestampMs: null,
        members: [{ rebalanceTimeoutMs: 10_000, sessionTimeoutMs: 10_000 }],
      },
    });
  });

  it('treats a null value as a tombstone', () => {
    const record: GroupRecord = { type: 'group-metadata', groupId: 'g', value: null };
    expect(encodeGroupRecordValue(record)).toBeNull();
    expect(decodeGroupRecord(encodeGroupRecordKey(record), null)).toEqual(record);
  });

  it('refuses unknown versions and bytes that do not parse', () => {
    expect(() => decodeGroupRecord(Buffer.from('0003000167', 'hex'), null)).toThrow(GroupRecordFormatError);
    expect(() => decodeGroupRecord(Buffer.from('0002000167', 'hex'), Buffer.from('0004', 'hex'))).toThrow(
      GroupRecordFormatError,
    );
    expect(() => decodeGroupRecord(Buffer.from('000200', 'hex'), null)).toThrow(DecodeError);
    expect(() => decodeGroupRecord(Buffer.from('000200016700', 'hex'), null)).toThrow(/left over/);
  });
});
