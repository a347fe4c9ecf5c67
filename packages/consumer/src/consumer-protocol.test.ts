import { createRequire } from 'node:module';
import { DecodeError, Writer } from '@sluice/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Assignment,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type Subscription,
  type TopicPartitions,
} from './consumer-protocol.js';

// kafkajs's own encoder and decoder of the consumer protocol, an independent implementation to agree with.
const require = createRequire(import.meta.url);
const kafkajsProtocol = require('kafkajs/src/consumer/assignerProtocol') as {
  MemberMetadata: {
    encode(input: { version: number; topics: string[]; userData?: Buffer }): Buffer;
    decode(buffer: Buffer): { version: number; topics: string[]; userData: Buffer | null };
  };
  MemberAssignment: {
    encode(input: { version: number; assignment: Record<string, number[]>; userData?: Buffer }): Buffer;
    decode(
      buffer: Buffer,
    ): { version: number; assignment: Record<string, number[]>; userData: Buffer | null } | null;
  };
};

const topicName = fc.stringMatching(/^[a-zA-Z0-9._-]{1,20}$/);
const topicPartitions: fc.Arbitrary<TopicPartitions[]> = fc.array(
  fc.record({
    topic: topicName,
    partitions: fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 8 }),
  }),
  { maxLength: 5 },
);
const userData = fc.option(
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  { nil: null },
);

describe('the consumer protocol', () => {
  it('reads back every subscription it writes, at versions 0 to 3, with the fields each version has', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(topicName, { maxLength: 6 }),
        userData,
        topicPartitions,
        fc.integer({ min: -1, max: 2 ** 31 - 1 }),
        fc.option(topicName, { nil: null }),
        (version, topics, data, owned, generationId, rackId) => {
          const subscription: Subscription = {
            version,
            topics,
            userData: data,
            ownedPartitions: owned,
            generationId,
            rackId,
          };
          const decoded = decodeSubscription(encodeSubscription(subscription));
          expect(decoded).toEqual({
            version,
            topics,
            userData: data,
            ownedPartitions: version >= 1 ? owned : [],
            generationId: version >= 2 ? generationId : -1,
            rackId: version >= 3 ? rackId : null,
          });
        },
      ),
    );
  });

  it('reads back every assignment it writes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), topicPartitions, userData, (version, partitions, data) => {
        const assignment: Assignment = { version, partitions, userData: data };
        expect(decodeAssignment(encodeAssignment(assignment))).toEqual(assignment);
      }),
    );
  });

  it('agrees with kafkajs on subscriptions and assignments, both ways', () => {
    const fromKafkajs = kafkajsProtocol.MemberMetadata.encode({ version: 0, topics: ['orders', 'payments'] });
    expect(decodeSubscription(fromKafkajs)).toEqual({
      version: 0,
      topics: ['orders', 'payments'],
      userData: Buffer.alloc(0),
      ownedPartitions: [],
      generationId: -1,
      rackId: null,
    });
    const ours = encodeSubscription({
      version: 2,
      topics: ['orders'],
      userData: null,
      ownedPartitions: [{ topic: 'orders', partitions: [1, 4] }],
      generationId: 9,
      rackId: null,
    });
    expect(kafkajsProtocol.MemberMetadata.decode(ours)).toEqual({
      version: 2,
      topics: ['orders'],
      userData: null,
    });

    const assignmentFromKafkajs = kafkajsProtocol.MemberAssignment.encode({
      version: 0,
      assignment: { orders: [0, 2], payments: [1] },
    });
    expect(decodeAssignment(assignmentFromKafkajs)).toEqual({
      version: 0,
      partitions: [
        { topic: 'orders', partitions: [0, 2] },
        { topic: 'payments', partitions: [1] },
      ],
      userData: Buffer.alloc(0),
    });
    const assignment = encodeAssignment({
      version: 0,
      partitions: [{ topic: 'orders', partitions: [3, 5] }],
      userData: null,
    });
    expect(kafkajsProtocol.MemberAssignment.decode(assignment)).toEqual({
      version: 0,
      assignment: { orders: [3, 5] },
      userData: null,
    });
  });

  it('reads the fields it knows of a newer version and ignores what follows', () => {
    const future = new Writer()
      .int16(7)
      .arrayLength(1)
      .string('orders')
      .nullableBytes(Buffer.from([1, 2]))
      .arrayLength(1)
      .string('orders')
      .arrayLength(1)
      .int32(3)
      .int32(12)
      .nullableString('rack-a')
      .int64(99n) // a field of version 7
      .toBuffer();
    expect(decodeSubscription(future)).toEqual({
      version: 7,
      topics: ['orders'],
      userData: Buffer.from([1, 2]),
      ownedPartitions: [{ topic: 'orders', partitions: [3] }],
      generationId: 12,
      rackId: 'rack-a',
    });
  });

  it('takes a version 0 subscription that ends after its topics, and an empty assignment buffer', () => {
    const short = new Writer().int16(0).arrayLength(1).string('orders').toBuffer();
    expect(decodeSubscription(short).topics).toEqual(['orders']);
    expect(decodeSubscription(short).userData).toBeNull();
    expect(decodeAssignment(Buffer.alloc(0))).toEqual({ version: 0, partitions: [], userData: null });
  });

  it('refuses bytes that are not a subscription with a DecodeError, and nothing else', () => {
    expect(() => decodeSubscription(Buffer.from([0xff, 0xff, 0, 0, 0, 0]))).toThrow(DecodeError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeSubscription(Buffer.from(bytes));
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
        try {
          decodeAssignment(Buffer.from(bytes));
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });
});
