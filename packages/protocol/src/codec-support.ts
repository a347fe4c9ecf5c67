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

/** `fields` in ascending tag order (the same array when they already are). */
function sortedByTag(fields: readonly TaggedField[]): readonly TaggedField[] {
  for (let i = 1; i < fields.length; i++) {
    if (fields[i].tag < fields[i - 1].tag) return [...fields].sort((a, b) => a.tag - b.tag);
  }
  return fields;
}

function writeTaggedField(writer: Writer, tag: number, data: Uint8Array): void {
  writer.uvarint(tag);
  writer.uvarint(data.length);
  writer.raw(data);
}

/** The tagged-field section of a struct that has no known tagged fields: its unknown ones, in tag order. */
export function writeTaggedFields(writer: Writer, unknown: readonly TaggedField[] | undefined): void {
  const fields = sortedByTag(unknown ?? []);
  writer.uvarint(fields.length);
  for (const field of fields) writeTaggedField(writer, field.tag, field.data);
}

/**
 * The tagged-field section of a struct with known tagged fields: the count, then every field in ascending
 * tag order, the unknown ones the message carries merged with the known ones the encoder writes (each with
 * `known`, in tag order, then `finish`). A tag that is both known and unknown is refused.
 */
export class TaggedFieldsWriter {
  private readonly unknown: readonly TaggedField[];
  private written = 0;

  constructor(
    private readonly writer: Writer,
    private readonly structName: string,
    unknown: readonly TaggedField[] | undefined,
    knownCount: number,
  ) {
    this.unknown = sortedByTag(unknown ?? []);
    writer.uvarint(this.unknown.length + knownCount);
  }

  /** Writes the known field `name` with `tag` and its encoded `data`, after the unknown fields below it. */
  known(tag: number, name: string, data: Uint8Array): void {
    this.writeUnknownBelow(tag);
    if (this.unknown[this.written]?.tag === tag) {
      throw new TypeError(`${this.structName}: tag ${tag} is both ${name} and an unknown tagged field`);
    }
    writeTaggedField(this.writer, tag, data);
  }

  /** Writes the unknown fields after the last known one. */
  finish(): void {
    this.writeUnknownBelow(Number.POSITIVE_INFINITY);
  }

  private writeUnknownBelow(tag: number): void {
    while (this.written < this.unknown.length && this.unknown[this.written].tag < tag) {
      const field = this.unknown[this.written++];
      writeTaggedField(this.writer, field.tag, field.data);
    }
  }
}
