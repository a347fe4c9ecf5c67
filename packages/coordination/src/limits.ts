/**
 * Every bound of the coordination package, in one place. The request limits mirror etcd's defaults
 * (`--max-txn-ops`, `--max-request-bytes`) so that code written against the embedded store also runs
 * against an etcd cluster.
 */

/** Longest key, in UTF-8 bytes. Sluice's own keys stay well below (topic names are at most 249 characters). */
export const KEY_BYTES_MAX = 1024;

/** Largest value, in bytes. */
export const VALUE_BYTES_MAX = 1024 * 1024;

/** Largest request: the keys and values of one put, delete or transaction together (etcd: 1.5 MiB). */
export const REQUEST_BYTES_MAX = 1536 * 1024;

/** Most compares, and most operations per branch, in one transaction (etcd's `--max-txn-ops`). */
export const TXN_OPERATIONS_MAX = 128;

/** Most keys and values held by one store, in bytes (etcd's backend quota plays this role). */
export const STORE_BYTES_MAX = 256 * 1024 * 1024;

/** Shortest and longest lease TTL granted. A shorter request is raised to the minimum, as etcd does. */
export const LEASE_TTL_MIN_MS = 10;
export const LEASE_TTL_MAX_MS = 24 * 60 * 60 * 1000;

/** Most leases alive at once in one store. */
export const LEASES_MAX = 10_000;

/** Most watches open at once on one store. */
export const WATCHERS_MAX = 1024;

/**
 * Watch history: the events of the most recent revisions, kept so that a watch can resume from a recent
 * revision. Older revisions are compacted; resuming from one fails with `CompactedRevisionError`.
 */
export const WATCH_HISTORY_REVISIONS_MAX = 10_000;
export const WATCH_HISTORY_BYTES_MAX = 64 * 1024 * 1024;

/** The operation log is compacted into a snapshot once it is this long (and longer than the last snapshot). */
export const LOG_COMPACTION_BYTES = 16 * 1024 * 1024;

/** Largest frame of the operation log or snapshot payload accepted when reading one back. */
export const LOG_FRAME_BYTES_MAX = REQUEST_BYTES_MAX + 64 * 1024;
export const SNAPSHOT_BYTES_MAX = STORE_BYTES_MAX * 2;

/** Most bytes written by one group commit (one write and one fsync). */
export const GROUP_COMMIT_BYTES_MAX = 8 * 1024 * 1024;

/** Most bytes of operations applied but not yet durable; writes beyond it are refused until the disk catches up. */
export const PENDING_WRITE_BYTES_MAX = 64 * 1024 * 1024;

/** Keep-alives a session sends before the previous ones answered (a stalled store must not pile them up). */
export const SESSION_KEEP_ALIVES_IN_FLIGHT_MAX = 2;
