import {
  booleanOption,
  boundRelation,
  choiceOption,
  clientOptionRelations,
  customOption,
  INT32_MAX,
  integerOption,
  type NetworkOptions,
  networkOptionTable,
  type OptionRelation,
  type OptionTable,
  type ResolvedNetworkOptions,
} from '@sluice/network';
import type { CompressionName } from '@sluice/protocol';

export type Acks = 0 | 1 | -1 | 'all';

/** Producer options as given; each maps to one Kafka producer config and defaults to Kafka's default. */
export interface ProducerConfigOptions extends NetworkOptions {
  acks?: Acks;
  /** enable.idempotence: on unless acks, retries or the in-flight limit conflict with it. */
  idempotent?: boolean;
  lingerMs?: number;
  batchSizeBytes?: number;
  bufferMemoryBytes?: number;
  maxBlockMs?: number;
  maxRequestSizeBytes?: number;
  compression?: CompressionName;
  retries?: number;
  deliveryTimeoutMs?: number;
  maxInFlightRequestsPerConnection?: number;
  partitionerIgnoreKeys?: boolean;
}

export interface ResolvedProducerOptions extends ResolvedNetworkOptions {
  /** -1 is acks=all. */
  acks: 0 | 1 | -1;
  /** undefined: not given (then on when the other options allow it). */
  idempotent: boolean | undefined;
  lingerMs: number;
  batchSizeBytes: number;
  bufferMemoryBytes: number;
  maxBlockMs: number;
  maxRequestSizeBytes: number;
  compression: CompressionName;
  retries: number;
  deliveryTimeoutMs: number;
  maxInFlightRequestsPerConnection: number;
  partitionerIgnoreKeys: boolean;
}

export const producerOptionTable: OptionTable<ResolvedProducerOptions> = {
  ...networkOptionTable,
  acks: customOption<0 | 1 | -1>({
    kafkaName: 'acks',
    defaultValue: -1,
    description:
      'acknowledgements the leader waits for: 0 none, 1 its own write, all (-1) the in-sync replicas',
    domain: '0, 1, -1 or "all"',
    parse: (value) => {
      if (value === 'all' || value === -1) return -1;
      if (value === 0 || value === 1) return value;
      return { invalid: 'must be 0, 1, -1 or "all"' };
    },
  }),
  idempotent: booleanOption({
    kafkaName: 'enable.idempotence',
    description:
      'producer id and sequence numbers, so retries neither duplicate nor reorder; on by default unless acks, retries or maxInFlightRequestsPerConnection conflict',
  }),
  lingerMs: integerOption({
    kafkaName: 'linger.ms',
    defaultValue: 0,
    min: 0,
    max: INT32_MAX,
    unit: 'ms',
    description: 'how long a batch waits for more records before it is sent',
  }),
  batchSizeBytes: integerOption({
    kafkaName: 'batch.size',
    defaultValue: 16_384,
    min: 1,
    max: INT32_MAX,
    unit: 'bytes',
    description: 'the size of a batch buffer; a full batch is sent at once',
  }),
  bufferMemoryBytes: integerOption({
    kafkaName: 'buffer.memory',
    defaultValue: 33_554_432,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    unit: 'bytes',
    description: 'memory for records not yet acknowledged; when full, send waits up to maxBlockMs',
  }),
  maxBlockMs: integerOption({
    kafkaName: 'max.block.ms',
    defaultValue: 60_000,
    min: 0,
    max: INT32_MAX,
    unit: 'ms',
    description: 'how long send waits for buffer memory or topic metadata before failing',
  }),
  maxRequestSizeBytes: integerOption({
    kafkaName: 'max.request.size',
    defaultValue: 1_048_576,
    min: 1,
    max: INT32_MAX,
    unit: 'bytes',
    description: 'the largest produce request, and so the largest record',
  }),
  compression: choiceOption({
    kafkaName: 'compression.type',
    defaultValue: 'none',
    choices: ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const,
    description: 'codec for record batches',
  }),
  retries: integerOption({
    kafkaName: 'retries',
    defaultValue: INT32_MAX,
    min: 0,
    max: INT32_MAX,
    description: 'how often a failed batch is sent again (bounded by deliveryTimeoutMs too)',
  }),
  deliveryTimeoutMs: integerOption({
    kafkaName: 'delivery.timeout.ms',
    defaultValue: 120_000,
    min: 1,
    max: INT32_MAX,
    unit: 'ms',
    description: 'how long after send a record may take to be acknowledged, retries included',
  }),
  maxInFlightRequestsPerConnection: integerOption({
    kafkaName: 'max.in.flight.requests.per.connection',
    defaultValue: 5,
    min: 1,
    max: 1_000,
    description: 'produce requests sent to one broker and not yet answered',
  }),
  partitionerIgnoreKeys: booleanOption({
    kafkaName: 'partitioner.ignore.keys',
    defaultValue: false,
    description: 'place keyed records like unkeyed ones (sticky) instead of by murmur2 of the key',
  }),
};

/** Kafka's limit: idempotence keeps order only with at most 5 requests in flight. */
export const MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5;

export const producerOptionRelations: OptionRelation<ResolvedProducerOptions>[] = clientOptionRelations(
  boundRelation('deliveryTimeoutMs', 'at least', ['lingerMs', 'requestTimeoutMs']),
  boundRelation('batchSizeBytes', 'at most', ['bufferMemoryBytes']),
  {
    option: 'acks',
    check: (o) =>
      o.idempotent === true && o.acks !== -1
        ? `idempotent producers need acks "all" (-1), not ${o.acks}`
        : null,
  },
  {
    option: 'maxInFlightRequestsPerConnection',
    check: (o) =>
      o.idempotent === true && o.maxInFlightRequestsPerConnection > MAX_IN_FLIGHT_FOR_IDEMPOTENCE
        ? `idempotent producers need maxInFlightRequestsPerConnection at most ${MAX_IN_FLIGHT_FOR_IDEMPOTENCE}, not ${o.maxInFlightRequestsPerConnection}`
        : null,
  },
  {
    option: 'retries',
    check: (o) =>
      o.idempotent === true && o.retries === 0 ? 'idempotent producers need retries above 0' : null,
  },
);

/** Whether the producer is idempotent: as asked, or by default when nothing conflicts (as Kafka 3+ does). */
export function isIdempotent(options: ResolvedProducerOptions): boolean {
  if (options.idempotent !== undefined) return options.idempotent;
  return (
    options.acks === -1 &&
    options.maxInFlightRequestsPerConnection <= MAX_IN_FLIGHT_FOR_IDEMPOTENCE &&
    options.retries > 0
  );
}
