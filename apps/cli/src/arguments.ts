import { UsageError } from './cli-error.js';
import type { CommandDefinition, ParsedInput } from './command.js';

/**
 * Typed readers of a command's parsed options. Each throws a UsageError naming the option and the value
 * it wanted, so that a mistake on the command line exits with 2 and a pointer to the command's help.
 */
export class Arguments {
  constructor(
    readonly command: CommandDefinition,
    readonly input: ParsedInput,
  ) {}

  usage(message: string): UsageError {
    return new UsageError(message, this.command.path);
  }

  has(name: string): boolean {
    return this.input.values[name] !== undefined;
  }

  string(name: string): string | undefined {
    const value = this.input.values[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw this.usage(`--${name} needs a value`);
    return value;
  }

  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') throw this.usage(`--${name} is required`);
    return value;
  }

  boolean(name: string): boolean {
    return this.input.values[name] === true;
  }

  list(name: string): string[] {
    const value = this.input.values[name];
    if (value === undefined) return [];
    return Array.isArray(value) ? value : [String(value)];
  }

  integer(name: string, bounds: { min?: number; max?: number } = {}): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    return parseInteger(text, `--${name}`, bounds, (message) => this.usage(message));
  }

  /** `KEY=VALUE` pairs of a repeatable option, in order (a later key wins). */
  pairs(name: string): Map<string, string> {
    const pairs = new Map<string, string>();
    for (const entry of this.list(name)) {
      const equals = entry.indexOf('=');
      if (equals <= 0) throw this.usage(`--${name} takes KEY=VALUE, got "${entry}"`);
      pairs.set(entry.slice(0, equals), entry.slice(equals + 1));
    }
    return pairs;
  }

  /** The positional arguments; checks the count against the command's definition. */
  positionals(): readonly string[] {
    const definitions = this.command.positionals ?? [];
    const given = this.input.positionals;
    const required = definitions.filter((definition) => definition.required).length;
    const variadic = definitions.some((definition) => definition.variadic);
    if (given.length < required) {
      const missing = definitions[given.length];
      throw this.usage(`missing <${missing.name}>: ${missing.description}`);
    }
    if (!variadic && given.length > definitions.length) {
      throw this.usage(`unexpected argument "${given[definitions.length]}"`);
    }
    return given;
  }

  /** At most one of these options may be given; returns which, if any. */
  oneOf(names: readonly string[]): string | undefined {
    const given = names.filter((name) => this.has(name) && this.input.values[name] !== false);
    if (given.length > 1) throw this.usage(`give only one of ${given.map((name) => `--${name}`).join(', ')}`);
    return given[0];
  }
}

export function parseInteger(
  text: string,
  what: string,
  bounds: { min?: number; max?: number },
  fail: (message: string) => Error,
): number {
  const trimmed = text.trim();
  if (!/^[-+]?\d+$/.test(trimmed)) throw fail(`${what} must be an integer, got "${text}"`);
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value)) throw fail(`${what} is too large: ${text}`);
  if (bounds.min !== undefined && value < bounds.min)
    throw fail(`${what} must be at least ${bounds.min}, got ${value}`);
  if (bounds.max !== undefined && value > bounds.max)
    throw fail(`${what} must be at most ${bounds.max}, got ${value}`);
  return value;
}
