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
export {
  Consumer,
  type ConsumerBatch,
  type ConsumerOptions,
  type ConsumerRecord,
  type IterationOptions,
  type StartOffset,
  type TopicPartition,
  type TopicPartitionOffset,
} from './consumer.js';
export {
  type AutoOffsetReset,
  type ConsumerConfigOptions,
  consumerOptionRelations,
  consumerOptionTable,
  type IsolationLevel,
  type ResolvedConsumerOptions,
} from './consumer-options.js';
export { type Deserializer, deserializers } from './deserializers.js';
export { NoOffsetForPartitionError } from './errors.js';
export { Limits as ConsumerLimits } from './limits.js';
