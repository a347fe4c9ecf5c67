import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BASE_TIMESTAMP, encodeBatch, simpleBatch } from '../test/record-batch-builder.js';
import {
  ManualClock,
  ManualScheduler,
  makeTempDirectory,
  removeTempDirectory,
  testLogger,
} from '../test/temp-directory.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js';
import { CLEAN_SHUTDOWN_MARKER_FILE, LogManager, parsePartitionDirectoryName } from './log-manager.js';

let logDir: string;
let clock: ManualClock;
let scheduler: ManualScheduler;
const managers: LogManager[] = [];

beforeEach(() => {
  logDir = makeTempDirectory('sluice-log-dir-');
  clock = new ManualClock(BASE_TIMESTAMP + 1000);
  scheduler = new ManualScheduler(clock);
});
afterEach(async () => {
  for (const manager of managers.splice(0)) await manager.shutdown().catch(() => undefined);
  removeTempDirectory(logDir);
});

async function openManager(defaultConfig: Partial<LogConfig> = {}): Promise<LogManager> {
  const manager = await LogManager.open({
    logDir,
    defaultConfig: { ...DEFAULT_LOG_CONFIG, ...defaultConfig },
    clock,
    scheduler,
    logger: testLogger,
    retentionCheckIntervalMs: 10_000,
    flushCheckpointIntervalMs: 60_000,
    flushSchedulerIntervalMs: 1000,
  });
  managers.push(manager);
  return manager;
}

const read = (text: string) => fs.readFileSync(path.join(logDir, text), 'utf8');

describe('LogManager', () => {
  it('parses partition directory names, topics with dashes included', () => {
    expect(parsePartitionDirectoryName('orders-eu-12')).toEqual({ topic: 'orders-eu', partition: 12 });
    expect(parsePartitionDirectoryName('__consumer_offsets-0')).toEqual({
      topic: '__consumer_offsets',
      partition: 0,
    });
    expect(parsePartitionDirectoryName('lost+found')).toBeNull();
    expect(parsePartitionDirectoryName('orders-x')).toBeNull();
  });

  it('creates logs in <topic>-<partition> directories and finds them again after a clean shutdown', async () => {
    let manager = await openManager();
    const orders = await manager.getOrCreateLog('orders', 0, { ...DEFAULT_LOG_CONFIG });
    const again = await manager.getOrCreateLog('orders', 0, { ...DEFAULT_LOG_CONFIG });
    expect(again).toBe(orders);
    await orders.appendAsLeader(simpleBatch(5), 1);
    orders.maybeIncrementHighWatermark(5);
    const payments = await manager.getOrCreateLog('payments-eu', 2, { ...DEFAULT_LOG_CONFIG });
    await payments.appendAsLeader(simpleBatch(2), 1);
    await manager.shutdown();
    managers.pop();
    expect(fs.existsSync(path.join(logDir, CLEAN_SHUTDOWN_MARKER_FILE))).toBe(true);
    expect(read('recovery-point-offset-checkpoint')).toBe('0\n2\norders 0 5\npayments-eu 2 2\n');
    expect(read('replication-offset-checkpoint')).toBe('0\n2\norders 0 5\npayments-eu 2 0\n');
    expect(read('log-start-offset-checkpoint')).toBe('0\n2\norders 0 0\npayments-eu 2 0\n');

    manager = await openManager();
    expect(fs.existsSync(path.join(logDir, CLEAN_SHUTDOWN_MARKER_FILE))).toBe(false);
    expect(
      manager
        .allLogs()
        .map((log) => `${log.topic}-${log.partition}`)
        .sort(),
    ).toEqual(['orders-0', 'payments-eu-2']);
    const reopened = manager.getLog('orders', 0);
    expect(reopened?.logEndOffset).toBe(5);
    expect(reopened?.highWatermark).toBe(5);
  });

  it('recovers from the checkpointed recovery point when the marker is missing', async () => {
    let manager = await openManager({ segmentBytes: 600 });
    const log = await manager.getOrCreateLog('t', 0, { ...DEFAULT_LOG_CONFIG, segmentBytes: 600 });
    for (let i = 0; i < 10; i++) await log.appendAsLeader(simpleBatch(2, { valueBytes: 40 }), 0);
    await log.flush();
    await manager.checkpoint();
    // Simulate a crash: abandon the manager without a shutdown, then tear the active segment.
    managers.pop();
    const directory = path.join(logDir, 't-0');
    const active = fs
      .readdirSync(directory)
      .filter((name) => name.endsWith('.log'))
      .sort()
      .at(-1) as string;
    fs.appendFileSync(path.join(directory, active), Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0]));
    manager = await openManager({ segmentBytes: 600 });
    expect(manager.getLog('t', 0)?.logEndOffset).toBe(20);
    expect(manager.getLog('t', 0)?.recoveryPoint).toBe(20);
  });

  it('deletes a log directory, and finishes deletions a crash interrupted', async () => {
    const manager = await openManager();
    await manager.getOrCreateLog('gone', 0, { ...DEFAULT_LOG_CONFIG });
    await manager.deleteLog('gone', 0);
    expect(manager.getLog('gone', 0)).toBeUndefined();
    expect(fs.readdirSync(logDir).filter((name) => name.startsWith('gone'))).toEqual([]);
    await manager.shutdown();
    managers.pop();
    fs.mkdirSync(path.join(logDir, 'half-0.0123abcd-delete'));
    await openManager();
    expect(fs.existsSync(path.join(logDir, 'half-0.0123abcd-delete'))).toBe(false);
  });

  it('skips the directories it is told belong to someone else, without a warning', async () => {
    fs.mkdirSync(path.join(logDir, '__coordination'));
    fs.writeFileSync(path.join(logDir, '__coordination', 'operations-1.log'), 'not a segment');
    fs.mkdirSync(path.join(logDir, 'store-0'));
    fs.mkdirSync(path.join(logDir, 'lost+found'));
    const lines: { level: number; msg: string; directory?: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const manager = await LogManager.open({
      logDir,
      defaultConfig: { ...DEFAULT_LOG_CONFIG },
      clock,
      scheduler,
      logger,
      foreignDirectoryNames: ['__coordination', 'store-0'],
    });
    managers.push(manager);
    expect(manager.allLogs()).toEqual([]);
    const warnings = lines.filter((line) => line.level >= 40);
    expect(warnings.map((line) => line.directory)).toEqual(['lost+found']);
    expect(fs.readFileSync(path.join(logDir, '__coordination', 'operations-1.log'), 'utf8')).toBe(
      'not a segment',
    );
    expect(fs.readdirSync(path.join(logDir, 'store-0'))).toEqual([]);
  });

  it('runs retention and checkpoints on its schedule', async () => {
    const config = { ...DEFAULT_LOG_CONFIG, segmentBytes: 600, retentionBytes: 700, fileDeleteDelayMs: 0 };
    const manager = await openManager(config);
    const log = await manager.getOrCreateLog('r', 0, config);
    for (let i = 0; i < 20; i++) await log.appendAsLeader(simpleBatch(2, { valueBytes: 40 }), 0);
    log.maybeIncrementHighWatermark(log.logEndOffset);
    const segmentsBefore = log.segmentCount;
    clock.advance(10_000);
    scheduler.runDue();
    await vi.waitFor(() => expect(log.segmentCount).toBeLessThan(segmentsBefore), { timeout: 10_000 });
    expect(log.logStartOffset).toBeGreaterThan(0);
    clock.advance(60_000);
    scheduler.runDue();
    await vi.waitFor(
      () => expect(read('log-start-offset-checkpoint')).toBe(`0\n1\nr 0 ${log.logStartOffset}\n`),
      { timeout: 10_000 },
    );
  });

  it('enforces flush.ms from its flush scheduler', async () => {
    const config = { ...DEFAULT_LOG_CONFIG, flushMs: 3000 };
    const manager = await openManager(config);
    const log = await manager.getOrCreateLog('f', 0, config);
    await log.appendAsLeader(encodeBatch({ records: [{}] }), 0);
    clock.advance(1000);
    scheduler.runDue();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log.recoveryPoint).toBe(0);
    clock.advance(2000);
    scheduler.runDue();
    await vi.waitFor(() => expect(log.recoveryPoint).toBe(1), { timeout: 10_000 });
  });

  it('ignores an unreadable checkpoint and recovers the logs fully', async () => {
    let manager = await openManager();
    const log = await manager.getOrCreateLog('c', 0, { ...DEFAULT_LOG_CONFIG });
    await log.appendAsLeader(simpleBatch(3), 0);
    await manager.shutdown();
    managers.pop();
    fs.writeFileSync(path.join(logDir, 'recovery-point-offset-checkpoint'), 'not a checkpoint');
    manager = await openManager();
    expect(manager.getLog('c', 0)?.logEndOffset).toBe(3);
  });
});
