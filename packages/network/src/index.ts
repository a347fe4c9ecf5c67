/** Broker errors, re-exported so that applications can catch them without depending on the codec. */
export { ErrorCode, type ErrorCodeName, KafkaError, UnsupportedVersionError } from '@sluice/protocol';
export type { Logger } from 'pino';
export { type ApiVersionRange, ApiVersionTable } from './api-version-table.js';
export { backoffMs } from './backoff.js';
export { BrandedError, hasBrand } from './branded-error.js';
export { type BrokerAddress, formatAddress, parseAddress, parseBootstrapServers } from './broker-address.js';
export { BrokerPool, type BrokerPoolOptions } from './broker-pool.js';
export {
  type Clock,
  ManualClock,
  type RandomSource,
  seededRandom,
  sleep,
  systemClock,
  systemRandom,
  type TimerHandle,
} from './clock.js';
export { Cluster, type ClusterOptions, type RequestTarget, type RetryingRequestOptions } from './cluster.js';
export {
  Connection,
  type ConnectionOptions,
  type ConnectionState,
  type RequestOptions,
} from './connection.js';
export {
  abortReason,
  ClientClosedError,
  ConnectionError,
  InvalidOptionError,
  isRetriable,
  kafkaErrorAt,
  type LocatedKafkaError,
  ProtocolError,
  partitionLocation,
  RequestTimeoutError,
} from './errors.js';
export {
  COORDINATOR_MOVED_ERROR_CODES,
  type Coordinator,
  type CoordinatorKeyType,
  type FindCoordinatorOptions,
  findCoordinator,
} from './find-coordinator.js';
export { FrameDecoder } from './frame-decoder.js';
export { Limits } from './limits.js';
export { defaultLogger } from './logger.js';
export {
  type BrokerNode,
  type ClusterSnapshot,
  METADATA_REFRESH_ERROR_CODES,
  MetadataCache,
  type MetadataCacheOptions,
  type PartitionMetadata,
  type TopicMetadata,
  TopicMetadataTimeoutError,
} from './metadata-cache.js';
export {
  clientOptionRelations,
  type NetworkOptions,
  networkOptionRelations,
  networkOptionTable,
  type ResolvedNetworkOptions,
} from './network-options.js';
export {
  booleanOption,
  boundRelation,
  checkFunctionOption,
  choiceOption,
  customOption,
  describeOptions,
  INT32_MAX,
  integerOption,
  type OptionRelation,
  type OptionSpec,
  type OptionTable,
  resolveOptions,
  stringOption,
} from './options.js';
export {
  groupByLeader,
  type LeaderGroups,
  type PartitionItem,
  partitionsByTopic,
} from './partition-grouping.js';
export { type RetryPolicy, retry } from './retry.js';
export { ScheduledLoop } from './scheduled-loop.js';
export { API_VERSIONS_REQUEST_VERSION, CLIENT_API_VERSIONS } from './supported-versions.js';
export { untilAborted } from './until-aborted.js';
