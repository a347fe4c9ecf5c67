import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A version range from a schema: "3+", "0-2", "5", or "none". `max` is Infinity for an open range. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export const NO_VERSIONS: VersionRange = { min: 1, max: 0 };

export function parseVersions(spec: string | undefined, fallback: VersionRange = NO_VERSIONS): VersionRange {
  if (spec === undefined) return fallback;
  const text = spec.trim();
  if (text === 'none') return NO_VERSIONS;
  let match = /^(\d+)\+$/.exec(text);
  if (match) return { min: Number(match[1]), max: Number.POSITIVE_INFINITY };
  match = /^(\d+)-(\d+)$/.exec(text);
  if (match) return { min: Number(match[1]), max: Number(match[2]) };
  match = /^(\d+)$/.exec(text);
  if (match) return { min: Number(match[1]), max: Number(match[1]) };
  throw new Error(`unreadable version range ${JSON.stringify(spec)}`);
}

export function isEmpty(range: VersionRange): boolean {
  return range.min > range.max;
}

export function intersect(a: VersionRange, b: VersionRange): VersionRange {
  return { min: Math.max(a.min, b.min), max: Math.min(a.max, b.max) };
}

/** A field as written in Kafka's message JSON. */
export interface FieldSpec {
  readonly name: string;
  readonly type: string;
  readonly versions: string;
  readonly nullableVersions?: string;
  readonly taggedVersions?: string;
  readonly flexibleVersions?: string;
  readonly tag?: number;
  readonly default?: string | number | boolean;
  readonly ignorable?: boolean;
  readonly mapKey?: boolean;
  readonly about?: string;
  readonly fields?: FieldSpec[];
}

export interface MessageSpec {
  readonly apiKey?: number;
  readonly type: 'request' | 'response' | 'header';
  readonly name: string;
  readonly validVersions: string;
  readonly flexibleVersions: string;
  readonly fields: FieldSpec[];
  readonly commonStructs?: { name: string; versions: string; fields: FieldSpec[] }[];
}

/** Removes `//` comments (outside strings) so the result is plain JSON. */
export function stripJsonComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      out += char;
      if (char === '\\') {
        out += text[++i];
      } else if (char === '"') {
        inString = false;
      }
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (char === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += char;
    }
  }
  return out;
}

export function readMessageSpecs(directory: string): MessageSpec[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(directory, file), 'utf8');
      try {
        return JSON.parse(stripJsonComments(text)) as MessageSpec;
      } catch (error) {
        throw new Error(`${file}: ${(error as Error).message}`);
      }
    });
}

export interface ErrorCodeSpec {
  readonly code: number;
  readonly name: string;
  readonly message: string;
}

/** Reads error-codes.tsv: `code<TAB>name<TAB>message`, with a header line and `#` comments. */
export function readErrorCodes(directory: string): ErrorCodeSpec[] {
  const lines = readFileSync(join(directory, 'error-codes.tsv'), 'utf8').split('\n');
  const codes: ErrorCodeSpec[] = [];
  for (const line of lines) {
    if (line.startsWith('#') || line.trim() === '' || line.startsWith('code\t')) continue;
    const [code, name, message = ''] = line.split('\t');
    if (!/^-?\d+$/.test(code) || !/^[A-Z0-9_]+$/.test(name))
      throw new Error(`bad error-codes.tsv line: ${line}`);
    codes.push({ code: Number(code), name, message: message.trim() });
  }
  return codes;
}
