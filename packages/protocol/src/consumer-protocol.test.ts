import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConsumerProtocolAssignment,
  type ConsumerProtocolSubscription,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolAssignment,
  encodeConsumerProtocolSubscription,
  type TopicPartitions,
} from './consumer-protocol.js';
import { DecodeError } from './decode-error.js';
import { Writer } from './writer.js';

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
  fc.record({ topic: topicName, partitions: fc.array(fc.nat(10_000), { maxLength: 8 }) }),
  { maxLength: 5 },
);
const userData = fc.option(
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  { nil: null },
);

describe('the consumer protocol codec', () => {
  it('reads back every subscription it writes, with the fields of its version and defaults for the rest', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(topicName, { maxLength: 6 }),
        userData,
        topicPartitions,
        fc.integer({ min: -1, max: 2 ** 31 - 1 }),
        fc.option(topicName, { nil: null }),
        (version, topics, data, owned, generationId, rackId) => {
          const subscription: ConsumerProtocolSubscription = {
            version,
            topics,
            userData: data,
            ownedPartitions: owned,
            generationId,
            rackId,
          };
          expect(
            decodeConsumerProtocolSubscription(encodeConsumerProtocolSubscription(subscription)),
          ).toEqual({
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
        const assignment: ConsumerProtocolAssignment = { version, partitions, userData: data };
        expect(decodeConsumerProtocolAssignment(encodeConsumerProtocolAssignment(assignment))).toEqual(
          assignment,
        );
      }),
    );
  });

  it('agrees with kafkajs on subscriptions and assignments, both ways', () => {
    const fromKafkajs = kafkajsProtocol.MemberMetadata.encode({ version: 0, topics: ['orders', 'payments'] });
    expect(decodeConsumerProtocolSubscription(fromKafkajs)).toEqual({
      version: 0,
      topics: ['orders', 'payments'],
      userData: Buffer.alloc(0),
      ownedPartitions: [],
      generationId: -1,
      rackId: null,
    });
    const ours = encodeConsumerProtocolSubscription({
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
    expect(decodeConsumerProtocolAssignment(assignmentFromKafkajs)).toEqual({
      version: 0,
      partitions: [
        { topic: 'orders', partitions: [0, 2] },
        { topic: 'payments', partitions: [1] },
      ],
      userData: Buffer.alloc(0),
    });
    const assignment = encodeConsumerProtocolAssignment({
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

  it('reads the known fields of a newer version and ignores what follows them', () => {
    const newer = new Writer(64)
      .int16(9)
      .arrayLength(1)
      .string('orders')
      .nullableBytes(null)
      .arrayLength(0)
      .int32(7)
      .nullableString('rack-a')
      .int64(123n)
      .toBuffer();
    expect(decodeConsumerProtocolSubscription(newer)).toMatchObject({
      version: 9,
      topics: ['orders'],
      generationId: 7,
      rackId: 'rack-a',
    });
  });

  it('reads a version 0 subscription that ends after its topics, and an empty assignment', () => {
    const short = new Writer(16).int16(0).arrayLength(1).string('t').toBuffer();
    expect(decodeConsumerProtocolSubscription(short).userData).toBeNull();
    expect(decodeConsumerProtocolAssignment(Buffer.alloc(0))).toEqual({
      version: 0,
      partitions: [],
      userData: null,
    });
  });

  it('refuses bytes that are not a subscription or an assignment with a DecodeError', () => {
    const negativeVersion = new Writer(8).int16(-1).arrayLength(0).toBuffer();
    const nullTopics = new Writer(8).int16(0).arrayLength(-1).toBuffer();
    const cutShort = encodeConsumerProtocolSubscription({
      version: 1,
      topics: ['orders'],
      userData: null,
      ownedPartitions: [{ topic: 'orders', partitions: [0, 1] }],
      generationId: -1,
      rackId: null,
    }).subarray(0, 20);
    for (const bytes of [negativeVersion, nullTopics, cutShort, Buffer.from([0])]) {
      expect(() => decodeConsumerProtocolSubscription(bytes)).toThrow(DecodeError);
    }
    expect(() => decodeConsumerProtocolAssignment(negativeVersion)).toThrow(DecodeError);
  });

  it('refuses to write a version it does not know', () => {
    expect(() => encodeConsumerProtocolAssignment({ version: 4, partitions: [], userData: null })).toThrow(
      /assignment version 4 is not in \[0, 3\]/,
    );
    expect(() =>
      encodeConsumerProtocolSubscription({
        version: -1,
        topics: [],
        userData: null,
        ownedPartitions: [],
        generationId: -1,
        rackId: null,
      }),
    ).toThrow(RangeError);
  });
});
