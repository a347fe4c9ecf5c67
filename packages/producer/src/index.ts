/** Errors from the layers below, so that applications can catch them with this package alone. */
export {
  ClientClosedError,
  ConnectionError,
  ErrorCode,
  InvalidOptionError,
  isRetriable,
  KafkaError,
  type LocatedKafkaError,
  RequestTimeoutError,
  UnsupportedVersionError,
} from '@sluice/network';
export { BufferPool } from './buffer-pool.js';
export { BufferExhaustedError, DeliveryTimeoutError, RecordTooLargeError } from './errors.js';
export { Limits as ProducerLimits } from './limits.js';
export { murmur2, partitionForKey, toPositive } from './murmur2.js';
export { DefaultPartitioner, type PartitionerTopic } from './partitioner.js';
export {
  type CloseOptions,
  type HeaderValue,
  Producer,
  type ProducerMessage,
  type ProducerOptions,
  type ProducerRecord,
} from './producer.js';
export type { RecordHeaderInput, RecordMetadata } from './producer-batch.js';
export {
  type Acks,
  isIdempotent,
  MAX_IN_FLIGHT_FOR_IDEMPOTENCE,
  type ProducerConfigOptions,
  producerOptionRelations,
  producerOptionTable,
  type ResolvedProducerOptions,
} from './producer-options.js';
export { type Serializer, type SerializerName, serializers } from './serializers.js';
