import { InvalidOptionError } from './errors.js';

/**
 * Options validated up front from a table. Every option has a camelCase name with its unit last
 * (`lingerMs`, `batchSizeBytes`), maps to exactly one Kafka config (`linger.ms`, `batch.size`) and takes
 * Kafka's default. `resolveOptions` checks every value against its bounds, refuses unknown names (with a
 * suggestion), then checks the relations between options; each failure is an InvalidOptionError naming the
 * option.
 */

export interface OptionSpec<T> {
  /** The Kafka config this option maps to. */
  readonly kafkaName: string;
  /** Kafka's default, or undefined when the option is required (or its default depends on others). */
  readonly defaultValue: T | undefined;
  readonly required: boolean;
  /** One line for the README and error messages. */
  readonly description: string;
  /** Checks and normalizes a value given by the user; throws InvalidOptionError. */
  readonly parse: (value: unknown, name: string) => T;
  /** The bounds or choices, for documentation. */
  readonly domain: string;
}

export type OptionTable<Resolved> = { readonly [K in keyof Resolved]-?: OptionSpec<Resolved[K]> };

/** A relation between options: returns a message when it is violated. */
export interface OptionRelation<Resolved> {
  /** The option the error names (the one to change). */
  readonly option: keyof Resolved & string;
  readonly check: (options: Resolved) => string | null;
}

/** The largest value of a Kafka INT32 config (most `.ms` and `.bytes` configs). */
export const INT32_MAX = 2 ** 31 - 1;

type NumericOption<Resolved> = {
  [K in keyof Resolved & string]: Resolved[K] extends number ? K : never;
}[keyof Resolved & string];

const BOUND_WORDS = { 'at least': 'must be at least', 'at most': 'must not exceed', below: 'must be below' };

/**
 * The relation "`option` is at least / at most / below the sum of `others`", e.g.
 * `boundRelation('deliveryTimeoutMs', 'at least', ['lingerMs', 'requestTimeoutMs'])`; its message names
 * both sides with their values: `deliveryTimeoutMs (100) must be at least lingerMs + requestTimeoutMs (200)`.
 */
export function boundRelation<Resolved>(
  option: NumericOption<Resolved>,
  bound: keyof typeof BOUND_WORDS,
  others: readonly NumericOption<Resolved>[],
): OptionRelation<Resolved> {
  return {
    option,
    check(options) {
      const value = options[option] as number;
      let limit = 0;
      for (const other of others) limit += options[other] as number;
      const holds =
        bound === 'at least' ? value >= limit : bound === 'at most' ? value <= limit : value < limit;
      return holds ? null : `${option} (${value}) ${BOUND_WORDS[bound]} ${others.join(' + ')} (${limit})`;
    },
  };
}

interface SpecBase<T> {
  kafkaName: string;
  description: string;
  defaultValue?: T;
  required?: boolean;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return String(value);
}

/** An integer in [min, max] (inclusive). */
export function integerOption(
  spec: SpecBase<number> & { min: number; max: number; unit?: string },
): OptionSpec<number> {
  const domain = `integer in [${spec.min}, ${spec.max}]${spec.unit ? ` ${spec.unit}` : ''}`;
  return customOption({
    ...spec,
    domain,
    parse: (value) =>
      typeof value === 'number' && Number.isInteger(value) && value >= spec.min && value <= spec.max
        ? value
        : { invalid: `must be an ${domain}` },
  });
}

export function booleanOption(spec: SpecBase<boolean>): OptionSpec<boolean> {
  return customOption({
    ...spec,
    domain: 'true or false',
    parse: (value) => (typeof value === 'boolean' ? value : { invalid: 'must be true or false' }),
  });
}

/** One of a fixed set of values. */
export function choiceOption<const T extends string | number>(
  spec: SpecBase<T> & { choices: readonly T[] },
): OptionSpec<T> {
  const domain = `one of ${spec.choices.map(describe).join(', ')}`;
  return customOption<T>({
    ...spec,
    domain,
    parse: (value) => (spec.choices.includes(value as T) ? (value as T) : { invalid: `must be ${domain}` }),
  });
}

export function stringOption(spec: SpecBase<string> & { maxLength: number }): OptionSpec<string> {
  const domain = `string of at most ${spec.maxLength} characters`;
  return customOption({
    ...spec,
    domain,
    parse: (value) =>
      typeof value === 'string' && value.length <= spec.maxLength
        ? value
        : { invalid: `must be a ${domain}` },
  });
}

/**
 * Any other shape: `parse` returns the normalized value or what is wrong with it (`{ invalid: 'must be
 * ...' }`), which becomes an InvalidOptionError naming the option, its Kafka config and the value given.
 */
export function customOption<T>(
  spec: SpecBase<T> & { domain: string; parse: (value: unknown) => T | { invalid: string } },
): OptionSpec<T> {
  return {
    kafkaName: spec.kafkaName,
    defaultValue: spec.defaultValue,
    required: spec.required ?? false,
    description: spec.description,
    domain: spec.domain,
    parse(value, name) {
      const parsed = spec.parse(value);
      if (typeof parsed === 'object' && parsed !== null && 'invalid' in (parsed as object)) {
        throw new InvalidOptionError(
          name,
          `${name} (${spec.kafkaName}) ${(parsed as { invalid: string }).invalid}, got ${describe(value)}`,
        );
      }
      return parsed as T;
    },
  };
}

/**
 * An option given as a function (a serializer, a deserializer): returned as is, or an InvalidOptionError
 * when it is not a function.
 */
export function checkFunctionOption<F>(name: string, value: F): F {
  if (typeof value !== 'function') throw new InvalidOptionError(name, `${name} must be a function`);
  return value;
}

/** Levenshtein distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j];
      previous[j] = Math.min(
        previous[j] + 1,
        previous[j - 1] + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return previous[b.length];
}

function suggestion(name: string, table: Record<string, OptionSpec<unknown>>): string {
  const lower = name.toLowerCase();
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const [candidate, spec] of Object.entries(table)) {
    if (candidate.toLowerCase() === lower || spec.kafkaName === name) return `; did you mean ${candidate}?`;
    // A name given without its unit: batchSize for batchSizeBytes, sessionTimeout for sessionTimeoutMs.
    if (candidate.toLowerCase().startsWith(lower) && /^(Ms|Bytes)$/.test(candidate.slice(name.length))) {
      return `; did you mean ${candidate}?`;
    }
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return best !== null && bestDistance <= 3 ? `; did you mean ${best}?` : '';
}

/**
 * Validates `input` against `table` and `relations` and fills in Kafka's defaults. Keys whose value is
 * undefined count as not given.
 */
export function resolveOptions<Resolved>(
  table: OptionTable<Resolved>,
  input: object,
  relations: readonly OptionRelation<Resolved>[] = [],
): Resolved {
  const specs = table as unknown as Record<string, OptionSpec<unknown>>;
  for (const name of Object.keys(input)) {
    if (!Object.hasOwn(specs, name)) {
      throw new InvalidOptionError(name, `unknown option ${name}${suggestion(name, specs)}`);
    }
  }
  const given = input as Record<string, unknown>;
  const resolved: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const value = given[name];
    if (value === undefined) {
      if (spec.required) {
        throw new InvalidOptionError(name, `${name} (${spec.kafkaName}) is required: ${spec.description}`);
      }
      resolved[name] = spec.defaultValue;
    } else {
      resolved[name] = spec.parse(value, name);
    }
  }
  const options = resolved as Resolved;
  for (const relation of relations) {
    const problem = relation.check(options);
    if (problem !== null) throw new InvalidOptionError(relation.option, problem);
  }
  return options;
}

/**
 * The table as Markdown (option, Kafka config, default, allowed values, meaning), for READMEs; options named
 * in `exclude` (e.g. those of another table) are left out.
 */
export function describeOptions(table: OptionTable<unknown>, exclude: Iterable<string> = []): string {
  const skipped = new Set(exclude);
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const rows = Object.entries(table as Record<string, OptionSpec<unknown>>)
    .filter(([name]) => !skipped.has(name))
    .map(([name, spec]) => {
      const defaultText =
        spec.defaultValue === undefined
          ? spec.required
            ? 'required'
            : '(see below)'
          : `\`${describe(spec.defaultValue)}\``;
      return `| \`${name}\` | \`${spec.kafkaName}\` | ${defaultText} | ${cell(spec.domain)} | ${cell(spec.description)} |`;
    });
  return [
    '| option | Kafka config | default | values | meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
