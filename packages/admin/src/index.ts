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
  Admin,
  type AdminOptions,
  type BrokerDescription,
  type ClusterDescription,
  type ConfigChange,
  type ConfigDescription,
  type ConfigEntry,
  type ConfigResource,
  type CreateTopicsOptions,
  type DeletedRecords,
  type NewPartitions,
  type NewTopic,
  type OffsetSpec,
  type OperationOptions,
  type PartitionDescription,
  type PartitionOffset,
  type PartitionOffsetQuery,
  type RecordsToDelete,
  type TopicDescription,
} from './admin.js';
export {
  type AdminConfigOptions,
  adminOptionRelations,
  adminOptionTable,
  type ResolvedAdminOptions,
} from './admin-options.js';
export { ConfigResourceType, type ConfigResourceTypeName, type ConfigSource } from './config-resource.js';
