/**
 * Config keys described as data, as Kafka's ConfigDef: a name, a type, a default, a validator and a doc line.
 * Parsing a raw string either yields a typed value or a ConfigError whose message names the key and says
 * what is allowed.
 */

export type ConfigType = 'int' | 'long' | 'boolean' | 'string' | 'list' | 'double';
export type ConfigValue = number | boolean | string | string[] | null;

export interface ConfigKey {
  readonly name: string;
  readonly type: ConfigType;
  /** null: no default (the key is optional, or derived from another). */
  readonly defaultValue: ConfigValue;
  readonly doc: string;
  /** Allowed values for strings, or [min, max] for numbers. */
  readonly allowed?: readonly string[];
  /**
   * For lists: the items allowed. The list must name at least one, in any order; its value is normalised to
   * the order given here, each item once (`delete,compact` is `compact,delete`).
   */
  readonly allowedItems?: readonly string[];
  readonly range?: readonly [number, number];
  /** Whether AlterConfigs may change it at runtime. */
  readonly dynamic?: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
/** Kafka's Long.MAX_VALUE, used as "never" by many configs; it maps to Number.MAX_SAFE_INTEGER here. */
const LONG_MAX = 9223372036854775807n;

export function describeAllowed(key: ConfigKey): string {
  if (key.allowed) return `one of ${key.allowed.join(', ')}`;
  if (key.allowedItems) {
    return `a comma-separated list of ${key.allowedItems.join(', ')}, at least one, in any order`;
  }
  const range = key.range;
  const typeText = {
    int: 'an integer',
    long: 'an integer',
    boolean: 'true or false',
    string: 'a string',
    list: 'a comma-separated list',
    double: 'a number',
  }[key.type];
  if (range) {
    const max = range[1] >= Number.MAX_SAFE_INTEGER ? '' : ` and at most ${range[1]}`;
    return `${typeText} at least ${range[0]}${max}`;
  }
  return typeText;
}

/** Parses `raw` for `key`; throws a ConfigError naming the key and what is allowed. */
export function parseConfigValue(key: ConfigKey, raw: string): ConfigValue {
  const text = raw.trim();
  const fail = (): never => {
    throw new ConfigError(
      key.name,
      `Invalid value ${JSON.stringify(raw)} for ${key.name}: must be ${describeAllowed(key)}.`,
    );
  };
  let value: ConfigValue = null;
  switch (key.type) {
    case 'int':
    case 'long': {
      if (!/^[-+]?\d+$/.test(text)) fail();
      const big = BigInt(text);
      if (key.type === 'int' && (big < BigInt(INT_MIN) || big > BigInt(INT_MAX))) fail();
      if (big > LONG_MAX || big < -LONG_MAX - 1n) fail();
      value = big >= BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
      break;
    }
    case 'double': {
      value = Number(text);
      if (text === '' || !Number.isFinite(value)) fail();
      break;
    }
    case 'boolean':
      if (text.toLowerCase() === 'true') value = true;
      else if (text.toLowerCase() === 'false') value = false;
      else fail();
      break;
    case 'list': {
      const items = text === '' ? [] : text.split(',').map((item) => item.trim());
      if (key.allowedItems) {
        if (items.length === 0 || items.some((item) => !key.allowedItems?.includes(item))) fail();
        value = key.allowedItems.filter((item) => items.includes(item));
      } else {
        value = items;
      }
      break;
    }
    default:
      value = text;
  }
  if (key.allowed && (typeof value !== 'string' || !key.allowed.includes(value))) fail();
  if (key.range && typeof value === 'number' && (value < key.range[0] || value > key.range[1])) fail();
  return value;
}

/**
 * The text to keep for `raw` once `parseConfigValue` accepted it as `value`: lists in their normalised form
 * (what the log and every later start read back), anything else as given.
 */
export function normalizedConfigText(raw: string, value: ConfigValue): string {
  return Array.isArray(value) ? value.join(',') : raw;
}

/** The value as Kafka prints it (DescribeConfigs). */
export function formatConfigValue(value: ConfigValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'number' && value === Number.MAX_SAFE_INTEGER) return LONG_MAX.toString();
  return String(value);
}

export function keyTable(keys: readonly ConfigKey[]): ReadonlyMap<string, ConfigKey> {
  return new Map(keys.map((key) => [key.name, key]));
}
