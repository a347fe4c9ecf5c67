import type { RecordHeader } from '@sluice/protocol';
import { Limits } from './limits.js';

/**
 * Headers of a re-published record (values are UTF-8 decimal or text):
 *
 * - `sluice.retry.attempt`: in a retry topic, the attempt this delivery is (2 for the first retry); in the
 *   dead-letter topic, how many attempts failed.
 * - `sluice.retry.not-before`: ms since the epoch before which the record is not handled again.
 * - `sluice.retry.error`: the last error, `Name: message`, cut to Limits.MAX_RETRY_ERROR_CHARS.
 * - `sluice.retry.origin.topic`, `.origin.partition`, `.origin.offset`: where the record was first
 *   consumed; they never change across retries, so that with the attempt they name one delivery (a
 *   duplicate re-published after a crash carries the same ones).
 *
 * The record's own headers are kept, before these (earlier `sluice.retry.*` headers are replaced).
 */
export const RetryHeader = {
  ATTEMPT: 'sluice.retry.attempt',
  NOT_BEFORE: 'sluice.retry.not-before',
  ERROR: 'sluice.retry.error',
  ORIGIN_TOPIC: 'sluice.retry.origin.topic',
  ORIGIN_PARTITION: 'sluice.retry.origin.partition',
  ORIGIN_OFFSET: 'sluice.retry.origin.offset',
} as const;

const PREFIX = 'sluice.retry.';

/** Where a delivery stands in its retries. */
export interface RetryInfo {
  /** 1 for the first delivery, 2 for the first retry, ... */
  readonly attempt: number;
  /** 0 when the record may be handled at once. */
  readonly notBeforeMs: number;
  /** The error of the previous attempt, if any. */
  readonly lastError: string | null;
  readonly originTopic: string;
  readonly originPartition: number;
  readonly originOffset: number;
}

function headerText(headers: readonly RecordHeader[], key: string): string | null {
  for (let i = headers.length - 1; i >= 0; i--) {
    const header = headers[i];
    if (header.key === key) return header.value === null ? null : header.value.toString('utf8');
  }
  return null;
}

function headerInteger(headers: readonly RecordHeader[], key: string): number | null {
  const text = headerText(headers, key);
  if (text === null || !/^-?\d{1,16}$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/**
 * The retry state a record carries. A record without (valid) retry headers is a first delivery from where
 * it is; `fromRetryTopic` says whether to trust the headers at all (records of the application's own topics
 * are first deliveries whatever they carry).
 */
export function readRetryInfo(
  record: { topic: string; partition: number; offset: number; headers: readonly RecordHeader[] },
  fromRetryTopic: boolean,
): RetryInfo {
  const first: RetryInfo = {
    attempt: 1,
    notBeforeMs: 0,
    lastError: null,
    originTopic: record.topic,
    originPartition: record.partition,
    originOffset: record.offset,
  };
  if (!fromRetryTopic) return first;
  const headers = record.headers;
  const attempt = headerInteger(headers, RetryHeader.ATTEMPT);
  const originTopic = headerText(headers, RetryHeader.ORIGIN_TOPIC);
  const originPartition = headerInteger(headers, RetryHeader.ORIGIN_PARTITION);
  const originOffset = headerInteger(headers, RetryHeader.ORIGIN_OFFSET);
  if (
    attempt === null ||
    attempt < 1 ||
    originTopic === null ||
    originPartition === null ||
    originOffset === null
  ) {
    return first;
  }
  return {
    attempt,
    notBeforeMs: Math.max(0, headerInteger(headers, RetryHeader.NOT_BEFORE) ?? 0),
    lastError: headerText(headers, RetryHeader.ERROR),
    originTopic,
    originPartition,
    originOffset,
  };
}

/** The text kept of a handler's error. */
export function describeError(error: unknown): string {
  const text =
    error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${String(error as unknown)}`;
  return text.length > Limits.MAX_RETRY_ERROR_CHARS
    ? `${text.slice(0, Limits.MAX_RETRY_ERROR_CHARS - 1)}…`
    : text;
}

/** The headers of the re-published record: the record's own (without retry headers), then the retry ones. */
export function retryHeaders(
  own: readonly RecordHeader[],
  info: RetryInfo,
  next: { attempt: number; notBeforeMs: number; error: string },
): { key: string; value: Buffer | null }[] {
  const headers: { key: string; value: Buffer | null }[] = [];
  for (const header of own) {
    if (!header.key.startsWith(PREFIX)) headers.push({ key: header.key, value: header.value });
  }
  const text = (key: string, value: string | number) =>
    headers.push({ key, value: Buffer.from(String(value)) });
  text(RetryHeader.ATTEMPT, next.attempt);
  text(RetryHeader.NOT_BEFORE, next.notBeforeMs);
  text(RetryHeader.ERROR, next.error);
  text(RetryHeader.ORIGIN_TOPIC, info.originTopic);
  text(RetryHeader.ORIGIN_PARTITION, info.originPartition);
  text(RetryHeader.ORIGIN_OFFSET, info.originOffset);
  return headers;
}

/** One delivery's identity: the origin and the attempt (a crash may re-publish the same delivery twice). */
export function deliveryKey(info: RetryInfo): string {
  return `${info.originTopic}\u0000${info.originPartition}\u0000${info.originOffset}\u0000${info.attempt}`;
}
