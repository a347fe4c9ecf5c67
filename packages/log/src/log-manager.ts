import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Logger, pino } from 'pino';
import { writeFileAtomic } from './atomic-file.js';
import {
  CheckpointFile,
  type CheckpointFormat,
  parseIntegerField,
  parseOffsetField,
} from './checkpoint-file.js';
import { type Clock, systemClock } from './clock.js';
import { fsyncDirectory } from './file-io.js';
import { invariant } from './invariant.js';
import { Limits } from './limits.js';
import { Log } from './log.js';
import { type LogConfig, validateLogConfig } from './log-config.js';
import { type ScheduledTask, type Scheduler, systemScheduler } from './scheduler.js';

export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
export const REPLICATION_OFFSET_CHECKPOINT_FILE = 'replication-offset-checkpoint';
export const CLEAN_SHUTDOWN_MARKER_FILE = '.sluice-clean-shutdown';
const DELETED_DIRECTORY_SUFFIX = '-delete';

/** Kafka's defaults for the manager's intervals. */
export const DEFAULT_RETENTION_CHECK_INTERVAL_MS = 300_000;
export const DEFAULT_FLUSH_CHECKPOINT_INTERVAL_MS = 60_000;
export const DEFAULT_FLUSH_SCHEDULER_INTERVAL_MS = 1_000;

interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

const PARTITION_OFFSET_FORMAT: CheckpointFormat<PartitionOffset> = {
  toLine: (entry) => `${entry.topic} ${entry.partition} ${entry.offset}`,
  fromLine: (line) => {
    const fields = line.split(' ');
    if (fields.length !== 3 || fields[0] === '') return null;
    const partition = parseIntegerField(fields[1]);
    const offset = parseOffsetField(fields[2]);
    if (partition === null || partition < 0 || offset === null) return null;
    return { topic: fields[0], partition, offset };
  },
};

export interface LogManagerOptions {
  /** log.dirs (one directory). */
  logDir: string;
  defaultConfig: LogConfig;
  /** log.retention.check.interval.ms (default 300000). */
  retentionCheckIntervalMs?: number;
  /** log.flush.offset.checkpoint.interval.ms (default 60000). */
  flushCheckpointIntervalMs?: number;
  /** log.flush.scheduler.interval.ms: how often flush.ms is enforced (default 1000). */
  flushSchedulerIntervalMs?: number;
  /**
   * Directories in the log dir that belong to someone else (the broker's coordination store): skipped without
   * a word. Any other directory that is not `<topic>-<partition>` is skipped with a warning.
   */
  foreignDirectoryNames?: readonly string[];
  clock?: Clock;
  scheduler?: Scheduler;
  logger?: Logger;
}

/** `<topic>-<partition>` → its parts, or null for a directory that is not a partition log. */
export function parsePartitionDirectoryName(name: string): { topic: string; partition: number } | null {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return null;
  const partitionText = name.slice(dash + 1);
  if (!/^\d+$/.test(partitionText)) return null;
  const partition = Number(partitionText);
  if (!Number.isSafeInteger(partition) || partition > 2 ** 31 - 1) return null;
  return { topic: name.slice(0, dash), partition };
}

function key(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

type ManagerState = 'running' | 'shutting-down' | 'stopped';

/**
 * All partition logs of one log dir (Kafka's LogManager).
 *
 * On disk, in the log dir:
 *   <topic>-<partition>/                      one Log each
 *   recovery-point-offset-checkpoint          offsets below which each log is fsynced
 *   log-start-offset-checkpoint               each log's start offset
 *   replication-offset-checkpoint             each log's high watermark
 *   .sluice-clean-shutdown                    present only between a clean shutdown and the next start
 * The checkpoints are CheckpointFiles (`<topic> <partition> <offset>` lines), written atomically.
 *
 * `open` reads the checkpoints and the marker, opens (and if needed recovers) every partition directory,
 * then removes the marker: a crash from then on makes the next start recover from the checkpoints.
 * Periodic work: retention (retention.check.interval), flush.ms enforcement (flush scheduler interval)
 * and the checkpoints (flush offset checkpoint interval).
 *
 * Concurrency: single-threaded; checkpoints are serialized; getOrCreateLog for a partition being created
 * returns the same promise.
 */
export class LogManager {
  readonly logDir: string;
  readonly defaultConfig: LogConfig;
  private readonly logs = new Map<string, Log>();
  private readonly creating = new Map<string, Promise<Log>>();
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  private readonly rootLogger: Logger;
  private readonly tasks: ScheduledTask[] = [];
  private readonly recoveryPoints: CheckpointFile<PartitionOffset>;
  private readonly logStartOffsets: CheckpointFile<PartitionOffset>;
  private readonly highWatermarks: CheckpointFile<PartitionOffset>;
  /** The checkpoint being written, so checkpoints never overlap. */
  private checkpointChain: Promise<void> = Promise.resolve();
  private state: ManagerState = 'running';

  private constructor(options: LogManagerOptions, defaultConfig: LogConfig) {
    this.logDir = options.logDir;
    this.defaultConfig = defaultConfig;
    this.clock = options.clock ?? systemClock;
    this.scheduler = options.scheduler ?? systemScheduler;
    this.rootLogger =
      options.logger ?? pino({ name: 'sluice', level: process.env.SLUICE_LOG_LEVEL ?? 'warn' });
    this.logger = this.rootLogger.child({ component: 'log-manager', logDir: options.logDir });
    this.recoveryPoints = new CheckpointFile(
      path.join(this.logDir, RECOVERY_POINT_CHECKPOINT_FILE),
      PARTITION_OFFSET_FORMAT,
    );
    this.logStartOffsets = new CheckpointFile(
      path.join(this.logDir, LOG_START_OFFSET_CHECKPOINT_FILE),
      PARTITION_OFFSET_FORMAT,
    );
    this.highWatermarks = new CheckpointFile(
      path.join(this.logDir, REPLICATION_OFFSET_CHECKPOINT_FILE),
      PARTITION_OFFSET_FORMAT,
    );
  }

  /** Loads checkpoints + clean-shutdown marker, opens every <topic>-<partition> dir, removes the marker. */
  static async open(options: LogManagerOptions): Promise<LogManager> {
    const defaultConfig = validateLogConfig({ ...options.defaultConfig });
    const manager = new LogManager(options, defaultConfig);
    await fs.promises.mkdir(manager.logDir, { recursive: true });
    const markerPath = path.join(manager.logDir, CLEAN_SHUTDOWN_MARKER_FILE);
    const hadCleanShutdown = fs.existsSync(markerPath);
    const recoveryPoints = manager.readCheckpoint(manager.recoveryPoints);
    const logStartOffsets = manager.readCheckpoint(manager.logStartOffsets);
    const highWatermarks = manager.readCheckpoint(manager.highWatermarks);

    const foreign = new Set(options.foreignDirectoryNames ?? []);
    const toOpen: { topic: string; partition: number; directory: string }[] = [];
    for (const entry of await fs.promises.readdir(manager.logDir, { withFileTypes: true })) {
      if (!entry.isDirectory() || foreign.has(entry.name)) continue;
      const directory = path.join(manager.logDir, entry.name);
      if (entry.name.endsWith(DELETED_DIRECTORY_SUFFIX)) {
        await fs.promises.rm(directory, { recursive: true, force: true });
        continue;
      }
      const parsed = parsePartitionDirectoryName(entry.name);
      if (parsed === null) {
        manager.logger.warn(
          { directory: entry.name },
          'ignoring a directory that is not <topic>-<partition>',
        );
        continue;
      }
      toOpen.push({ ...parsed, directory });
    }
    // Open (and recover) a bounded number of partitions at a time.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < toOpen.length) {
        const { topic, partition, directory } = toOpen[next++];
        const id = key(topic, partition);
        const log = await Log.open({
          directory,
          topic,
          partition,
          config: defaultConfig,
          recoveryPoint: recoveryPoints.get(id),
          logStartOffset: logStartOffsets.get(id),
          highWatermark: highWatermarks.get(id),
          hadCleanShutdown,
          clock: manager.clock,
          scheduler: manager.scheduler,
          logger: manager.rootLogger,
        });
        manager.logs.set(id, log);
      }
    };
    await Promise.all(Array.from({ length: Math.min(Limits.LOG_OPEN_PARALLELISM, toOpen.length) }, worker));
    if (hadCleanShutdown) {
      await fs.promises.unlink(markerPath);
      await fsyncDirectory(manager.logDir);
    }
    manager.logger.info({ logs: manager.logs.size, hadCleanShutdown }, 'opened the log dir');
    manager.startPeriodicTasks(options);
    return manager;
  }

  private readCheckpoint(file: CheckpointFile<PartitionOffset>): Map<string, number> {
    const offsets = new Map<string, number>();
    try {
      for (const entry of file.read() ?? []) offsets.set(key(entry.topic, entry.partition), entry.offset);
    } catch (error) {
      this.logger.warn(
        { file: file.filePath, err: error },
        'ignoring an unreadable checkpoint: logs recover fully',
      );
    }
    return offsets;
  }

  private startPeriodicTasks(options: LogManagerOptions): void {
    this.tasks.push(
      this.scheduler.schedulePeriodic(
        () => void this.runRetention(),
        options.retentionCheckIntervalMs ?? DEFAULT_RETENTION_CHECK_INTERVAL_MS,
      ),
      this.scheduler.schedulePeriodic(
        () => void this.flushDueLogs(),
        options.flushSchedulerIntervalMs ?? DEFAULT_FLUSH_SCHEDULER_INTERVAL_MS,
      ),
      this.scheduler.schedulePeriodic(
        () =>
          void this.checkpoint().catch((error: unknown) =>
            this.logger.error({ err: error }, 'checkpoint failed'),
          ),
        options.flushCheckpointIntervalMs ?? DEFAULT_FLUSH_CHECKPOINT_INTERVAL_MS,
      ),
    );
  }

  getLog(topic: string, partition: number): Log | undefined {
    return this.logs.get(key(topic, partition));
  }

  /** The partition's log, created if missing; an existing log takes `config`. */
  async getOrCreateLog(topic: string, partition: number, config: LogConfig): Promise<Log> {
    this.ensureRunning();
    invariant(/^[a-zA-Z0-9._-]+$/.test(topic) && topic.length <= 249, () => `invalid topic name "${topic}"`);
    invariant(Number.isInteger(partition) && partition >= 0, 'partition must be a non-negative integer');
    const id = key(topic, partition);
    const existing = this.logs.get(id);
    if (existing !== undefined) {
      existing.updateConfig(config);
      return existing;
    }
    const pending = this.creating.get(id);
    if (pending !== undefined) return pending;
    const creation = Log.open({
      directory: path.join(this.logDir, id),
      topic,
      partition,
      config,
      hadCleanShutdown: false,
      clock: this.clock,
      scheduler: this.scheduler,
      logger: this.rootLogger,
    })
      .then((log) => {
        this.logs.set(id, log);
        return log;
      })
      .finally(() => this.creating.delete(id));
    this.creating.set(id, creation);
    return creation;
  }

  /** Closes the log and removes its directory (renamed `*-delete` first, so a crash finishes the job). */
  async deleteLog(topic: string, partition: number): Promise<void> {
    const id = key(topic, partition);
    const log = this.logs.get(id);
    if (log === undefined) return;
    this.logs.delete(id);
    await log.close();
    const deletedDirectory = `${log.directory}.${randomBytes(8).toString('hex')}${DELETED_DIRECTORY_SUFFIX}`;
    await fs.promises.rename(log.directory, deletedDirectory);
    await fsyncDirectory(this.logDir);
    await fs.promises.rm(deletedDirectory, { recursive: true, force: true });
    this.logger.info({ topic, partition }, 'deleted a log');
  }

  allLogs(): Log[] {
    return [...this.logs.values()];
  }

  /** Writes recovery-point-offset-checkpoint, log-start-offset-checkpoint and replication-offset-checkpoint. */
  checkpoint(): Promise<void> {
    const run = this.checkpointChain.then(() => this.writeCheckpoints());
    this.checkpointChain = run.catch(() => undefined);
    return run;
  }

  private async writeCheckpoints(): Promise<void> {
    const recoveryPoints: PartitionOffset[] = [];
    const logStartOffsets: PartitionOffset[] = [];
    const highWatermarks: PartitionOffset[] = [];
    for (const log of this.logs.values()) {
      if (log.isOffline) continue;
      const { topic, partition } = log;
      recoveryPoints.push({ topic, partition, offset: log.recoveryPoint });
      logStartOffsets.push({ topic, partition, offset: log.logStartOffset });
      highWatermarks.push({ topic, partition, offset: log.highWatermark });
    }
    await this.recoveryPoints.write(recoveryPoints);
    await this.logStartOffsets.write(logStartOffsets);
    await this.highWatermarks.write(highWatermarks);
  }

  /** Retention for every log (the retention check task). Returns the segments deleted. */
  async runRetention(): Promise<number> {
    let deleted = 0;
    for (const log of this.logs.values()) {
      if (log.isOffline) continue;
      try {
        deleted += await log.deleteOldSegments();
      } catch (error) {
        this.logger.error({ err: error, topic: log.topic, partition: log.partition }, 'retention failed');
      }
    }
    return deleted;
  }

  /** flush.ms for every log (the flush scheduler task). */
  async flushDueLogs(): Promise<void> {
    const nowMs = this.clock.nowMs();
    await Promise.all(
      [...this.logs.values()].map((log) =>
        log.flushIfDue(nowMs).catch((error: unknown) => {
          this.logger.error({ err: error, topic: log.topic, partition: log.partition }, 'flush failed');
        }),
      ),
    );
  }

  /** Stops timers, flushes and closes all logs, writes checkpoints, then the clean-shutdown marker. */
  async shutdown(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'shutting-down';
    for (const task of this.tasks.splice(0)) task.cancel();
    await Promise.allSettled([...this.creating.values()]);
    const results = await Promise.allSettled([...this.logs.values()].map((log) => log.close()));
    const failures = results.filter(
      (result): result is PromiseRejectedResult => result.status === 'rejected',
    );
    await this.checkpoint();
    if (failures.length === 0 && this.allLogs().every((log) => !log.isOffline)) {
      await writeFileAtomic(path.join(this.logDir, CLEAN_SHUTDOWN_MARKER_FILE), '');
    } else {
      this.logger.error(
        { failures: failures.length },
        'some logs did not close cleanly: no clean-shutdown marker',
      );
    }
    this.state = 'stopped';
    this.logger.info({ logs: this.logs.size }, 'shut down the log dir');
    if (failures.length > 0) throw failures[0].reason;
  }

  private ensureRunning(): void {
    invariant(this.state === 'running', 'the log manager is shut down');
  }
}
