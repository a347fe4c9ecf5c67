export * from '@sluice/admin';
export * from '@sluice/consumer';
export {
  ClientClosedError,
  type Clock,
  ConnectionError,
  ErrorCode,
  type ErrorCodeName,
  InvalidOptionError,
  isRetriable,
  KafkaError,
  type LocatedKafkaError,
  type Logger,
  ManualClock,
  type NetworkOptions,
  ProtocolError,
  type RandomSource,
  RequestTimeoutError,
  seededRandom,
  TopicMetadataTimeoutError,
  UnsupportedVersionError,
} from '@sluice/network';
export * from '@sluice/producer';
export { type ClientOptions, createClient, Sluice } from './sluice.js';
