import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

/** Shared by the generated codecs. */

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/** A tagged field that the decoding version does not know, kept as its raw bytes. */
export interface TaggedField {
  readonly tag: number;
  readonly data: Buffer;
}

/**
 * What an encoder accepts: the message type with every field optional, recursively. A missing field is
 * written as its schema default.
 */
export type Input<T> = T extends Buffer
  ? T
  : T extends readonly (infer Element)[]
    ? Input<Element>[]
    : T extends object
      ? { [K in keyof T]?: K extends 'unknownTaggedFields' ? T[K] : Input<T[K]> }
      : T;

/** One API: its key, version range, and the codecs for its request and response bodies. */
export interface ApiDefinition<Request, Response> {
  readonly apiKey: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The first flexible version (compact encodings, tagged fields, header v2/v1), or null if none. */
  readonly flexibleMinVersion: number | null;
  readonly encodeRequest: (writer: Writer, version: number, message: Input<Request>) => void;
  readonly decodeRequest: (reader: Reader, version: number) => Request;
  readonly encodeResponse: (writer: Writer, version: number, message: Input<Response>) => void;
  readonly decodeResponse: (reader: Reader, version: number) => Response;
}

export type VersionSpan = readonly [number, number] | null;

/** A field in the generated schema descriptor (used by tests to build values of any version). */
export interface FieldSchema {
  readonly name: string;
  readonly type: string;
  readonly array: boolean;
  readonly versions: VersionSpan;
  readonly nullable: VersionSpan;
  readonly tagged: VersionSpan;
  readonly tag?: number;
  readonly fields?: readonly FieldSchema[];
}

export interface MessageSchema {
  readonly name: string;
  readonly apiKey: number | null;
  readonly valid: VersionSpan;
  readonly flexible: VersionSpan;
  readonly fields: readonly FieldSchema[];
}

/** Whether a tagged field's value equals its default, in which case it is left out. */
export function isDefaultValue(value: unknown, defaultValue: unknown): boolean {
  if (value === defaultValue) return true;
  if (value === null || defaultValue === null) return false;
  if (Buffer.isBuffer(value) && Buffer.isBuffer(defaultValue)) return value.equals(defaultValue);
  if (Array.isArray(value) && Array.isArray(defaultValue)) {
    return (
      value.length === defaultValue.length && value.every((item, i) => isDefaultValue(item, defaultValue[i]))
    );
  }
  if (typeof value === 'object' && typeof defaultValue === 'object') {
    const defaults = defaultValue as Record<string, unknown>;
    const actual = value as Record<string, unknown>;
    return Object.keys(defaults).every((key) => isDefaultValue(actual[key] ?? defaults[key], defaults[key]));
  }
  return false;
}

export function writeUnknownTaggedFields(writer: Writer, fields: readonly TaggedField[]): void {
  for (const field of fields) {
    writer.uvarint(field.tag);
    writer.uvarint(field.data.length);
    writer.raw(field.data);
  }
}
