import { isUtf8 } from 'node:buffer';
import type { ConsumerRecord } from '@sluice/client';

/** How `consume` prints a record. */
export type RecordFormat = 'value' | 'key-value' | 'json';
export const RECORD_FORMATS: readonly RecordFormat[] = ['value', 'key-value', 'json'];

const NEWLINE = Buffer.from('\n');
const EMPTY = Buffer.alloc(0);

/** One record as `--format json` prints it (one object per line). */
export interface JsonRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  /** Present when the key is not valid UTF-8: the key is then base64. */
  keyEncoding?: 'base64';
  value: string | null;
  valueEncoding?: 'base64';
  headers: { key: string; value: string | null; valueEncoding?: 'base64' }[];
}

function text(bytes: Buffer | null): { text: string | null; base64: boolean } {
  if (bytes === null) return { text: null, base64: false };
  if (isUtf8(bytes)) return { text: bytes.toString('utf8'), base64: false };
  return { text: bytes.toString('base64'), base64: true };
}

export function toJsonRecord(record: ConsumerRecord<Buffer, Buffer>): JsonRecord {
  const key = text(record.key);
  const value = text(record.value);
  const json: JsonRecord = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: key.text,
    value: value.text,
    headers: record.headers.map((header) => {
      const headerValue = text(header.value);
      return headerValue.base64
        ? { key: header.key, value: headerValue.text, valueEncoding: 'base64' as const }
        : { key: header.key, value: headerValue.text };
    }),
  };
  if (key.base64) json.keyEncoding = 'base64';
  if (value.base64) json.valueEncoding = 'base64';
  return json;
}

/**
 * Appends a record's output line to `parts`: the value bytes as they are (`value`), the key, the separator
 * and the value (`key-value`; a null key prints as nothing), or a JSON object with its metadata, keys and
 * values as UTF-8 text, or base64 when they are not UTF-8 (`json`). Byte formats pass binary data through
 * untouched; a null value prints as an empty line.
 */
export function appendRecord(
  parts: Buffer[],
  record: ConsumerRecord<Buffer, Buffer>,
  format: RecordFormat,
  keySeparator: Buffer,
): number {
  let bytes = 0;
  const push = (part: Buffer) => {
    parts.push(part);
    bytes += part.length;
  };
  switch (format) {
    case 'value':
      push(record.value ?? EMPTY);
      break;
    case 'key-value':
      push(record.key ?? EMPTY);
      push(keySeparator);
      push(record.value ?? EMPTY);
      break;
    case 'json':
      push(Buffer.from(JSON.stringify(toJsonRecord(record))));
      break;
  }
  push(NEWLINE);
  return bytes;
}
