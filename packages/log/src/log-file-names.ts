import path from 'node:path';

/**
 * Names of the files in a partition directory, as in Kafka:
 *   00000000000000000000.log / .index / .timeindex   a segment, named by its base offset (20 digits)
 *   00000000000000000123.snapshot                    producer state as of offset 123
 *   leader-epoch-checkpoint                          the leader epoch cache
 *   *.deleted                                        a segment waiting for file.delete.delay.ms
 *   *.tmp                                            an atomic write that never finished
 */
export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';
export const SNAPSHOT_FILE_SUFFIX = '.snapshot';
export const DELETED_FILE_SUFFIX = '.deleted';
export const TEMPORARY_FILE_SUFFIX = '.tmp';
export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';

const OFFSET_DIGITS = 20;
const OFFSET_NAME = /^(\d{20})\.(log|index|timeindex|snapshot)$/;

export function offsetFileName(offset: number, suffix: string): string {
  return `${String(offset).padStart(OFFSET_DIGITS, '0')}${suffix}`;
}

export function offsetFilePath(directory: string, offset: number, suffix: string): string {
  return path.join(directory, offsetFileName(offset, suffix));
}

/** The offset and suffix of a segment or snapshot file name, or null for any other name. */
export function parseOffsetFileName(name: string): { offset: number; suffix: string } | null {
  const match = OFFSET_NAME.exec(name);
  if (match === null) return null;
  const offset = Number(match[1]);
  if (!Number.isSafeInteger(offset)) return null;
  return { offset, suffix: `.${match[2]}` };
}
