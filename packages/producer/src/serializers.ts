import { Packr } from 'msgpackr';

/**
 * Turns a key or value into bytes. Return a string to have it written as UTF-8 without an intermediate
 * Buffer; null means a null key or value (a tombstone for a compacted topic).
 */
export type Serializer<T> = (value: T) => Buffer | Uint8Array | string | null;

const packr = new Packr({ useRecords: false });

/** The built-in serializers. Each maps null to a null key or value. */
export const serializers = {
  /** Bytes as they are. */
  buffer: ((value: Buffer | Uint8Array | null) => value) as Serializer<Buffer | Uint8Array | null>,
  /** UTF-8 text. */
  string: ((value: string | null) => value) as Serializer<string | null>,
  /** JSON text (UTF-8). */
  json: ((value: unknown) =>
    value === null || value === undefined ? null : JSON.stringify(value)) as Serializer<unknown>,
  /** MessagePack (msgpackr, plain maps and arrays, no record extension), readable by any msgpack decoder. */
  msgpack: ((value: unknown) =>
    value === null || value === undefined ? null : packr.pack(value)) as Serializer<unknown>,
  /** Whatever it is given when it is a Buffer or string; the default for keys and values. */
  raw: ((value: Buffer | Uint8Array | string | null) => value) as Serializer<
    Buffer | Uint8Array | string | null
  >,
} as const;

export type SerializerName = 'buffer' | 'string' | 'json' | 'msgpack' | 'raw';
