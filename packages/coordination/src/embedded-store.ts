import assert from 'node:assert/strict';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Logger, pino } from 'pino';
import { type Clock, systemClock, systemTimers, type TimerHandle, type Timers } from './clock.js';
import type {
  Compare,
  CoordinationStore,
  KeyValue,
  Operation,
  TxnResult,
  Watch,
  WatchEvent,
} from './coordination-store.js';
import { EmbeddedWatch, type WatchSource } from './embedded-watch.js';
import {
  InvalidRequestError,
  ResourceExhaustedError,
  StoreClosedError,
  StoreCorruptError,
  StoreFailedError,
} from './errors.js';
import { copyKeyValue } from './key-value.js';
import { type KvApplied, type KvOperation, type KvOutcomeOf, type KvSnapshot, KvState } from './kv-state.js';
import {
  GROUP_COMMIT_BYTES_MAX,
  LEASES_MAX,
  LOG_COMPACTION_BYTES,
  PENDING_WRITE_BYTES_MAX,
  STORE_BYTES_MAX,
  WATCH_HISTORY_BYTES_MAX,
  WATCH_HISTORY_REVISIONS_MAX,
  WATCHERS_MAX,
} from './limits.js';
import { encodeFrame } from './log-frame.js';
import { OperationLog } from './operation-log.js';
import { packRecord, unpackRecord } from './record-codec.js';
import { readSnapshot, writeSnapshot } from './snapshot-file.js';
import {
  grantedTtlMs,
  validateKey,
  validateLeaseId,
  validatePrefix,
  validatePut,
  validateRevision,
  validateTxn,
} from './validate-request.js';
import { WatchHistory } from './watch-history.js';

export interface EmbeddedStoreOptions {
  /** Where the store keeps its files; created if missing. The broker passes `<log.dirs>/__coordination`. */
  directory: string;
  /** Lease deadlines are measured on this clock. Default: the process's monotonic clock. */
  clock?: Clock;
  /** Schedules the lease expiry check. Default: Node's timers (unreferenced). */
  timers?: Timers;
  logger?: Logger;
  /** Compact the operation log into a snapshot once it reaches this size. Default: LOG_COMPACTION_BYTES. */
  logCompactionBytes?: number;
  /** Revisions of watch history kept. Default: WATCH_HISTORY_REVISIONS_MAX. */
  watchHistoryRevisionsMax?: number;
}

export interface EmbeddedStoreStatistics {
  revision: number;
  /** Watches can resume from any revision after this one. */
  compactedRevision: number;
  keyCount: number;
  leaseCount: number;
  watchCount: number;
  /** Size of the current operation log file. */
  logBytes: number;
  snapshotBytes: number;
  /** Snapshots written since the store was opened. */
  snapshotCount: number;
  /** fdatasync calls on operation logs since the store was opened: one per group commit. */
  logSyncCount: number;
  /** Bytes of operations applied in memory and not yet durable. */
  pendingWriteBytes: number;
}

/** One operation of the log: the `index`-th since the store was created; `revision` is the revision after it. */
interface LogRecord {
  index: number;
  revision: number;
  operation: KvOperation;
}

/** The snapshot: the state after log record `lastIndex`, and the operation log that continues it. */
interface SnapshotRecord {
  logSequence: number;
  lastIndex: number;
  state: KvSnapshot;
}

/** An operation applied in memory, waiting for its frame to be durable. */
interface PendingRecord {
  frame: Buffer;
  revision: number;
  events: readonly WatchEvent[];
  resolve(): void;
  reject(error: Error): void;
}

const LOG_FILE_PATTERN = /^operations-(\d{20})\.log$/;
const OPERATION_TYPES = new Set(['put', 'delete', 'txn', 'grantLease', 'revokeLease']);

function logFileName(sequence: number): string {
  return `operations-${String(sequence).padStart(20, '0')}.log`;
}

/** Directories held by an open store of this process; a second store on the same files would corrupt them. */
const openDirectories = new Set<string>();

/**
 * The embedded coordination store: the whole etcd-shaped API in this process, for a single broker.
 *
 * State lives in memory (`KvState`); every change is first applied there, then appended to an operation
 * log and fsync'd, and the caller's promise resolves only once the change is durable. Changes made while
 * a write is in flight are written together by the next one (group commit: one write and one fsync for
 * all of them). Reads return the state as of their call once everything applied before it is durable,
 * and watches see only durable revisions, so nothing observed is ever lost in a crash.
 *
 * Files in `directory`:
 *   operations-<sequence>.log   frames (log-frame.ts) of msgpackr `LogRecord`s after an 8-byte header
 *   snapshot                    the state after some log record, written atomically (snapshot-file.ts)
 * Once the log outgrows `logCompactionBytes` (and the last snapshot), the state is written as a new
 * snapshot and a new, empty log is started. On open, the snapshot is loaded and the log replayed; a torn
 * tail of the log (a write cut by a crash) is cut off.
 *
 * Leases do not survive a restart: their holder was this process. On open every lease from before is
 * expired and its keys deleted, at new revisions, like any other expiry.
 *
 * Lease expiry is checked on every operation and by a timer set for the earliest lease deadline.
 */
export class EmbeddedStore implements CoordinationStore {
  private readonly watchers = new Set<EmbeddedWatch>();
  private readonly watchSource: WatchSource;
  /** Operations applied in memory and not yet written, in the order they were applied. */
  private queue: PendingRecord[] = [];
  private pendingWriteBytes = 0;
  /** Settles when everything queued before it is durable (or the store failed). */
  private tail: Promise<void> = Promise.resolve();
  /** True while `drain` runs; at most one runs at a time. */
  private draining = false;
  private drained: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;
  /** Set once a write fails; from then on every request rejects with it. */
  private failure: StoreFailedError | null = null;
  private leaseTimer: { handle: TimerHandle; dueMs: number } | null = null;
  private earlierSyncCount = 0;
  private snapshotCount = 0;

  private constructor(
    private readonly directory: string,
    private readonly state: KvState,
    private readonly history: WatchHistory,
    private log: OperationLog,
    private logSequence: number,
    /** Index of the last record applied (durable or queued). */
    private lastIndex: number,
    private snapshotBytes: number,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly logger: Logger,
    private readonly logCompactionBytes: number,
  ) {
    this.watchSource = { history, detach: (watch) => this.watchers.delete(watch) };
  }

  static async open(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    const directory = resolve(options.directory);
    if (openDirectories.has(directory)) {
      throw new InvalidRequestError(`a coordination store is already open on ${directory} in this process`);
    }
    openDirectories.add(directory);
    try {
      return await EmbeddedStore.load(directory, options);
    } catch (error) {
      openDirectories.delete(directory);
      throw error;
    }
  }

  private static async load(directory: string, options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    const clock = options.clock ?? systemClock;
    const logger = (options.logger ?? pino({ level: 'silent' })).child({
      component: 'coordination-store',
      directory,
    });
    await mkdir(directory, { recursive: true });

    const snapshotFile = await readSnapshot(directory);
    let state = new KvState();
    let logSequence = 1;
    let lastIndex = 0;
    if (snapshotFile !== null) {
      const snapshot = decodeSnapshotRecord(unpackRecord(snapshotFile.payload), join(directory, 'snapshot'));
      state = KvState.fromSnapshot(snapshot.state, clock.nowMs());
      logSequence = snapshot.logSequence;
      lastIndex = snapshot.lastIndex;
    }
    for (const name of await readdir(directory)) {
      const match = LOG_FILE_PATTERN.exec(name);
      if (match === null || Number(match[1]) === logSequence) continue;
      if (Number(match[1]) > logSequence) {
        throw new StoreCorruptError(
          join(directory, name),
          `operation log is newer than the snapshot (log ${logSequence})`,
        );
      }
      // Superseded by the snapshot: a crash came between writing the snapshot and removing the old log.
      await rm(join(directory, name));
      logger.info({ file: name }, 'removed an operation log superseded by the snapshot');
    }

    const logPath = join(directory, logFileName(logSequence));
    const opened = await OperationLog.open(logPath);
    if (opened.truncatedBytes > 0) {
      logger.warn(
        { file: logPath, truncatedBytes: opened.truncatedBytes, reason: opened.truncationReason },
        'cut a torn tail off the coordination log',
      );
    }
    const history = new WatchHistory(
      state.revision,
      options.watchHistoryRevisionsMax ?? WATCH_HISTORY_REVISIONS_MAX,
      WATCH_HISTORY_BYTES_MAX,
    );
    let replayed = 0;
    try {
      for (const payload of opened.payloads) {
        const record = decodeLogRecord(unpackRecord(payload), logPath);
        if (record.index <= lastIndex) continue; // already in the snapshot
        if (record.index !== lastIndex + 1) {
          throw new StoreCorruptError(logPath, `record ${record.index} follows record ${lastIndex}`);
        }
        let applied: KvApplied;
        try {
          applied = state.apply(record.operation, clock.nowMs());
        } catch (error) {
          throw new StoreCorruptError(
            logPath,
            `replaying record ${record.index} failed: ${(error as Error).message}`,
          );
        }
        if (applied.revision !== record.revision) {
          throw new StoreCorruptError(
            logPath,
            `replaying record ${record.index} reached revision ${applied.revision}, the log says ${record.revision}`,
          );
        }
        if (applied.events.length > 0) history.append(applied.revision, applied.events);
        lastIndex = record.index;
        replayed += 1;
      }
    } catch (error) {
      await opened.log.close();
      throw error;
    }

    const store = new EmbeddedStore(
      directory,
      state,
      history,
      opened.log,
      logSequence,
      lastIndex,
      snapshotFile?.bytes ?? 0,
      clock,
      options.timers ?? systemTimers,
      logger,
      options.logCompactionBytes ?? LOG_COMPACTION_BYTES,
    );
    try {
      await store.expireLeasesFromBeforeOpen();
    } catch (error) {
      await store.close();
      throw error;
    }
    logger.info(
      {
        revision: state.revision,
        keys: state.keyCount,
        replayedRecords: replayed,
        snapshot: snapshotFile !== null,
      },
      'coordination store opened',
    );
    return store;
  }

  get statistics(): EmbeddedStoreStatistics {
    return {
      revision: this.state.revision,
      compactedRevision: this.history.compactedRevision,
      keyCount: this.state.keyCount,
      leaseCount: this.state.leaseCount,
      watchCount: this.watchers.size,
      logBytes: this.log.bytes,
      snapshotBytes: this.snapshotBytes,
      snapshotCount: this.snapshotCount,
      logSyncCount: this.earlierSyncCount + this.log.syncCount,
      pendingWriteBytes: this.pendingWriteBytes,
    };
  }

  async get(key: string): Promise<KeyValue | null> {
    validateKey(key);
    const kv = await this.read(() => this.state.get(key));
    return kv === null ? null : copyKeyValue(kv);
  }

  async getPrefix(prefix: string): Promise<{ kvs: KeyValue[]; revision: number }> {
    validatePrefix(prefix);
    const result = await this.read(() => ({ kvs: this.state.range(prefix), revision: this.state.revision }));
    return { kvs: result.kvs.map(copyKeyValue), revision: result.revision };
  }

  async put(
    key: string,
    value: Uint8Array,
    options?: { lease?: string },
  ): Promise<{ revision: number; previous: KeyValue | null }> {
    const requestBytes = validatePut(key, value, options?.lease);
    this.checkCapacity(requestBytes);
    const { applied, durable } = this.write({
      type: 'put',
      key,
      value: new Uint8Array(value),
      lease: options?.lease ?? null,
    });
    await durable;
    const { revision, previous } = applied.outcome;
    return { revision, previous: previous === null ? null : copyKeyValue(previous) };
  }

  async delete(key: string, options?: { prefix?: boolean }): Promise<{ revision: number; deleted: number }> {
    const prefix = options?.prefix === true;
    if (prefix) validatePrefix(key);
    else validateKey(key);
    this.checkCapacity(0);
    const { applied, durable } = this.write({ type: 'delete', key, prefix });
    await durable;
    return { revision: applied.outcome.revision, deleted: applied.outcome.deleted };
  }

  async txn(request: {
    compare: Compare[];
    success: Operation[];
    failure?: Operation[];
  }): Promise<TxnResult> {
    const requestBytes = validateTxn(request);
    this.checkCapacity(requestBytes);
    const { applied, durable } = this.write({
      type: 'txn',
      compare: request.compare.map(normalizeCompare),
      success: request.success.map(normalizeOperation),
      failure: (request.failure ?? []).map(normalizeOperation),
    });
    await durable;
    const { succeeded, revision, results } = applied.outcome;
    return {
      succeeded,
      revision,
      results: results.map((result) => (typeof result === 'number' ? result : result.map(copyKeyValue))),
    };
  }

  async grantLease(ttlMs: number): Promise<{ id: string; ttlMs: number }> {
    const granted = grantedTtlMs(ttlMs);
    this.assertUsable();
    if (this.state.leaseCount >= LEASES_MAX) {
      throw new ResourceExhaustedError(`the store already holds ${LEASES_MAX} leases`, true);
    }
    this.checkCapacity(0);
    const { applied, durable } = this.write({ type: 'grantLease', ttlMs: granted });
    await durable;
    return { id: applied.outcome.leaseId, ttlMs: applied.outcome.ttlMs };
  }

  async keepAlive(leaseId: string): Promise<{ ttlMs: number }> {
    validateLeaseId(leaseId);
    // Not logged (leases do not survive a restart), and not held back behind pending writes.
    const { applied } = this.write({ type: 'keepAlive', leaseId });
    return { ttlMs: applied.outcome.ttlMs };
  }

  async revokeLease(leaseId: string): Promise<void> {
    validateLeaseId(leaseId);
    this.checkCapacity(0);
    const { durable } = this.write({ type: 'revokeLease', leaseId, reason: 'revoked' });
    await durable;
  }

  watch(prefix: string, options?: { fromRevision?: number; signal?: AbortSignal }): Watch {
    validatePrefix(prefix);
    const fromRevision =
      options?.fromRevision === undefined
        ? this.state.revision + 1
        : validateRevision(options.fromRevision, 'fromRevision');
    const watch = new EmbeddedWatch(this.watchSource, prefix, fromRevision, options?.signal);
    const unusable = this.unusableError();
    if (unusable !== null) {
      watch.fail(unusable);
      return watch;
    }
    if (this.watchers.size >= WATCHERS_MAX) {
      watch.close();
      throw new ResourceExhaustedError(`the store already has ${WATCHERS_MAX} open watches`, true);
    }
    if (!(options?.signal?.aborted ?? false)) this.watchers.add(watch);
    return watch;
  }

  /**
   * Forgets the watch history before `revision`, as etcd's compaction does: a watch from an earlier
   * revision then fails with `CompactedRevisionError`; one from `revision` on still works. The history is
   * also bounded by itself (limits.ts); this is for callers that want to release it sooner.
   */
  async compact(revision: number): Promise<void> {
    validateRevision(revision, 'revision');
    this.assertUsable();
    if (revision > this.state.revision) {
      throw new InvalidRequestError(
        `cannot compact revision ${revision}, the store is at ${this.state.revision}`,
      );
    }
    await this.tail;
    this.history.compact(revision - 1);
  }

  async close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.clearLeaseTimer();
    await this.drained;
    await this.log.close();
    const closed = new StoreClosedError();
    for (const watch of [...this.watchers]) watch.fail(closed);
    openDirectories.delete(this.directory);
    this.logger.info({ revision: this.state.revision }, 'coordination store closed');
  }

  private unusableError(): Error | null {
    if (this.closing !== null) return new StoreClosedError();
    return this.failure;
  }

  private assertUsable(): void {
    const error = this.unusableError();
    if (error !== null) throw error;
  }

  /** Refuses a write the store has no room for: over its quota, or too far ahead of the disk. */
  private checkCapacity(requestBytes: number): void {
    this.assertUsable();
    if (this.pendingWriteBytes > PENDING_WRITE_BYTES_MAX) {
      throw new ResourceExhaustedError(
        `${this.pendingWriteBytes} bytes of writes are waiting for the disk (limit ${PENDING_WRITE_BYTES_MAX})`,
        true,
      );
    }
    if (requestBytes > 0 && this.state.size + requestBytes > STORE_BYTES_MAX) {
      throw new ResourceExhaustedError(
        `the store holds ${this.state.size} bytes; this request would pass the quota of ${STORE_BYTES_MAX}`,
        false,
      );
    }
  }

  /** Runs `reader` on the current state; resolves once everything applied so far is durable. */
  private async read<T>(reader: () => T): Promise<T> {
    this.assertUsable();
    this.expireDueLeases(this.clock.nowMs());
    const result = reader();
    await this.tail;
    return result;
  }

  /**
   * Applies `operation` now (synchronously, so operations apply in call order) and logs it if it changed
   * anything. `durable` resolves when it, and everything applied before it, is on disk.
   */
  private write<T extends KvOperation>(
    operation: T,
  ): { applied: KvApplied<KvOutcomeOf<T>>; durable: Promise<void> } {
    this.assertUsable();
    const nowMs = this.clock.nowMs();
    this.expireDueLeases(nowMs);
    const applied = this.state.apply(operation, nowMs);
    const durable = applied.mutated ? this.append(operation, applied) : this.tail;
    if (
      operation.type === 'grantLease' ||
      operation.type === 'keepAlive' ||
      operation.type === 'revokeLease'
    ) {
      this.scheduleLeaseTimer();
    }
    return { applied, durable };
  }

  /** Revokes every lease whose deadline has passed, each at its own revision, and logs the revocations. */
  private expireDueLeases(nowMs: number): void {
    const expired = this.state.expiredLeaseIds(nowMs);
    for (const leaseId of expired) {
      const operation: KvOperation = { type: 'revokeLease', leaseId, reason: 'expired' };
      const applied = this.state.apply(operation, nowMs);
      // A failure to log is handled by `fail`, which every later request sees.
      this.append(operation, applied).catch(() => undefined);
      this.logger.info(
        { leaseId, deletedKeys: applied.events.length, revision: applied.revision },
        'lease expired',
      );
    }
    if (expired.length > 0) this.scheduleLeaseTimer();
  }

  private async expireLeasesFromBeforeOpen(): Promise<void> {
    const nowMs = this.clock.nowMs();
    const revocations = this.state.leaseIds().map((leaseId) => {
      const operation: KvOperation = { type: 'revokeLease', leaseId, reason: 'expired' };
      const applied = this.state.apply(operation, nowMs);
      this.logger.info(
        { leaseId, deletedKeys: applied.events.length, revision: applied.revision },
        'expired a lease held before the restart',
      );
      return this.append(operation, applied);
    });
    await Promise.all(revocations);
  }

  private scheduleLeaseTimer(): void {
    const deadlineMs = this.state.nextLeaseDeadlineMs();
    if (deadlineMs === undefined || this.closing !== null || this.failure !== null) {
      this.clearLeaseTimer();
      return;
    }
    // A timer due at or before the deadline will find it and re-arm itself; no need to move it.
    if (this.leaseTimer !== null && this.leaseTimer.dueMs <= deadlineMs) return;
    this.clearLeaseTimer();
    const handle = this.timers.setTimeout(() => {
      this.leaseTimer = null;
      if (this.closing !== null || this.failure !== null) return;
      this.expireDueLeases(this.clock.nowMs());
      this.scheduleLeaseTimer();
    }, deadlineMs - this.clock.nowMs());
    this.leaseTimer = { handle, dueMs: deadlineMs };
  }

  private clearLeaseTimer(): void {
    if (this.leaseTimer === null) return;
    this.timers.clearTimeout(this.leaseTimer.handle);
    this.leaseTimer = null;
  }

  /** Queues the log record of an applied operation; resolves once it is durable and its events published. */
  private append(operation: KvOperation, applied: KvApplied): Promise<void> {
    assert(applied.mutated);
    this.lastIndex += 1;
    const record: LogRecord = { index: this.lastIndex, revision: applied.revision, operation };
    const frame = encodeFrame(packRecord(record));
    let settle!: Pick<PendingRecord, 'resolve' | 'reject'>;
    const promise = new Promise<void>((resolvePromise, rejectPromise) => {
      settle = { resolve: resolvePromise, reject: rejectPromise };
    });
    promise.catch(() => undefined); // the caller sees the rejection; no unhandled-rejection noise if it does not wait
    this.queue.push({ frame, revision: applied.revision, events: applied.events, ...settle });
    this.pendingWriteBytes += frame.length;
    this.tail = promise;
    if (!this.draining) this.drained = this.drain();
    return promise;
  }

  /** Writes queued records, a group at a time, until the queue is empty. Never rejects. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0 && this.failure === null) {
        let batchBytes = 0;
        let count = 0;
        while (
          count < this.queue.length &&
          (count === 0 || batchBytes + this.queue[count].frame.length <= GROUP_COMMIT_BYTES_MAX)
        ) {
          batchBytes += this.queue[count].frame.length;
          count += 1;
        }
        const batch = this.queue.slice(0, count);
        try {
          await this.log.append(
            batch.length === 1 ? batch[0].frame : Buffer.concat(batch.map((record) => record.frame)),
          );
        } catch (error) {
          this.fail(error as Error);
          return;
        }
        this.queue = this.queue.slice(count);
        this.pendingWriteBytes -= batchBytes;
        for (const record of batch) {
          if (record.events.length > 0) this.history.append(record.revision, record.events);
        }
        for (const watch of this.watchers) watch.notify();
        for (const record of batch) record.resolve();
        if (this.log.bytes >= Math.max(this.logCompactionBytes, this.snapshotBytes)) {
          try {
            await this.compactLog();
          } catch (error) {
            this.fail(error as Error);
            return;
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Writes the state as a snapshot and starts a new, empty operation log. */
  private async compactLog(): Promise<void> {
    const logSequence = this.logSequence + 1;
    const snapshot: SnapshotRecord = {
      logSequence,
      lastIndex: this.lastIndex,
      state: this.state.toSnapshot(),
    };
    const snapshotBytes = await writeSnapshot(this.directory, packRecord(snapshot));
    // From here the snapshot (not the old log) is the durable state; records queued but not yet written
    // have indexes up to `lastIndex` and go to the new log, where replay skips them.
    const log = await OperationLog.create(join(this.directory, logFileName(logSequence)));
    const previous = this.log;
    this.log = log;
    this.logSequence = logSequence;
    this.earlierSyncCount += previous.syncCount;
    this.snapshotBytes = snapshotBytes;
    this.snapshotCount += 1;
    await previous.close();
    await rm(previous.path);
    this.logger.info(
      { revision: snapshot.state.revision, snapshotBytes, logBytes: previous.bytes, logSequence },
      'compacted the coordination log into a snapshot',
    );
  }

  /** A write failed: memory is now ahead of the disk. Refuse everything from now on. */
  private fail(cause: Error): void {
    this.failure = new StoreFailedError(`writing the coordination log failed: ${cause.message}`, { cause });
    this.logger.error({ err: cause }, 'coordination store failed; reopen it to recover from its files');
    this.clearLeaseTimer();
    for (const record of this.queue) record.reject(this.failure);
    this.queue = [];
    this.pendingWriteBytes = 0;
    for (const watch of [...this.watchers]) watch.fail(this.failure);
  }
}

function normalizeCompare(compare: Compare): Compare {
  switch (compare.target) {
    case 'value':
      return { key: compare.key, target: 'value', op: compare.op, value: new Uint8Array(compare.value) };
    case 'lease':
      return { key: compare.key, target: 'lease', op: compare.op, value: compare.value };
    default:
      return { key: compare.key, target: compare.target, op: compare.op, value: compare.value };
  }
}

/** A copy holding only the fields of the operation (no undefined, which msgpack would have to encode). */
function normalizeOperation(operation: Operation): Operation {
  switch (operation.type) {
    case 'put':
      return operation.lease === undefined
        ? { type: 'put', key: operation.key, value: new Uint8Array(operation.value) }
        : { type: 'put', key: operation.key, value: new Uint8Array(operation.value), lease: operation.lease };
    case 'delete':
    case 'get':
      return operation.prefix === true
        ? { type: operation.type, key: operation.key, prefix: true }
        : { type: operation.type, key: operation.key };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeLogRecord(value: unknown, path: string): LogRecord {
  if (
    !isRecord(value) ||
    !Number.isSafeInteger(value.index) ||
    !Number.isSafeInteger(value.revision) ||
    !isRecord(value.operation) ||
    !OPERATION_TYPES.has(value.operation.type as string)
  ) {
    throw new StoreCorruptError(path, 'a log record does not have the expected shape');
  }
  return value as unknown as LogRecord;
}

function decodeSnapshotRecord(value: unknown, path: string): SnapshotRecord {
  if (
    !isRecord(value) ||
    !Number.isSafeInteger(value.logSequence) ||
    !Number.isSafeInteger(value.lastIndex) ||
    !isRecord(value.state) ||
    !Number.isSafeInteger(value.state.revision) ||
    !Array.isArray(value.state.keys) ||
    !Array.isArray(value.state.leases)
  ) {
    throw new StoreCorruptError(path, 'the snapshot does not have the expected shape');
  }
  return value as unknown as SnapshotRecord;
}
