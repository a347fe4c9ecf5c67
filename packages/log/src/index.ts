export {
  CheckpointFile,
  type CheckpointFormat,
  CheckpointFormatError,
} from './checkpoint-file.js';
export { type Clock, systemClock } from './clock.js';
export { GroupCommit } from './group-commit.js';
export { InvariantError } from './invariant.js';
export { type EpochEntry, LeaderEpochFileCache } from './leader-epoch-file-cache.js';
export { Limits } from './limits.js';
export {
  type FetchDataInfo,
  ListOffsetsTimestamp,
  Log,
  type LogAppendInfo,
  type LogOpenOptions,
} from './log.js';
export {
  DEFAULT_LOG_CONFIG,
  LOG_CONFIG_PROPERTIES,
  type LogConfig,
  logConfigFromProperties,
  NEVER,
  validateLogConfig,
} from './log-config.js';
export {
  CLEAN_SHUTDOWN_MARKER_FILE,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  LogManager,
  type LogManagerOptions,
  parsePartitionDirectoryName,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
} from './log-manager.js';
export { LogSegment, type TimestampAndOffset } from './log-segment.js';
export { LogSegments } from './log-segments.js';
export {
  loadOrCreateMetaProperties,
  META_PROPERTIES_FILE,
  type MetaProperties,
  MetaPropertiesError,
  parseProperties,
} from './meta-properties.js';
export { OffsetIndex } from './offset-index.js';
export {
  type ProducerBatch,
  type ProducerStateEntry,
  ProducerStateManager,
} from './producer-state-manager.js';
export { type ScheduledTask, type Scheduler, systemScheduler } from './scheduler.js';
export { TimeIndex } from './time-index.js';
