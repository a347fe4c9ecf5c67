import { Unpackr } from 'msgpackr';

/** Turns a key's or value's bytes into a value; null keys and values stay null and never reach it. */
export type Deserializer<T> = (bytes: Buffer) => T;

const unpackr = new Unpackr({ useRecords: false });

/** The built-in deserializers, matching @sluice/producer's serializers. */
export const deserializers = {
  /** The bytes, as a view into the fetched data (copy them to keep them past the record's processing). */
  buffer: ((bytes: Buffer) => bytes) as Deserializer<Buffer>,
  /** UTF-8 text. */
  string: ((bytes: Buffer) => bytes.toString('utf8')) as Deserializer<string>,
  /** JSON text. */
  json: ((bytes: Buffer) => JSON.parse(bytes.toString('utf8'))) as Deserializer<unknown>,
  /** MessagePack (msgpackr). */
  msgpack: ((bytes: Buffer) => unpackr.unpack(bytes)) as Deserializer<unknown>,
} as const;
