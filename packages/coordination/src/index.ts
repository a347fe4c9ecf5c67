export { type Clock, systemClock, systemTimers, type TimerHandle, type Timers } from './clock.js';
export type {
  Compare,
  CoordinationStore,
  KeyValue,
  Operation,
  TxnResult,
  Watch,
  WatchEvent,
} from './coordination-store.js';
export { Election, type Leadership } from './election.js';
export { EmbeddedStore, type EmbeddedStoreOptions, type EmbeddedStoreStatistics } from './embedded-store.js';
export {
  CompactedRevisionError,
  CoordinationError,
  type CoordinationErrorKind,
  InvalidRequestError,
  LeaseNotFoundError,
  NotLeaderError,
  ResourceExhaustedError,
  SessionExpiredError,
  StoreClosedError,
  StoreCorruptError,
  StoreFailedError,
} from './errors.js';
export {
  brokerKey,
  brokersPrefix,
  clusterPrefix,
  controllerKey,
  partitionKey,
  partitionsPrefix,
  topicKey,
  topicsPrefix,
} from './keys.js';
export {
  INITIAL_REVISION,
  type KvApplied,
  type KvOperation,
  type KvOutcome,
  type KvSnapshot,
  KvState,
} from './kv-state.js';
export * as limits from './limits.js';
export { ManualClock } from './manual-clock.js';
export { Session, type SessionOptions } from './session.js';
