import type { Writable } from 'node:stream';

/** A stream the CLI writes to, as process.stdout and process.stderr are. */
export type OutputStream = Writable & { isTTY?: boolean; columns?: number };

const ANSI = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;

export type Style = keyof typeof ANSI;

/** Colour only on a terminal, and never when NO_COLOR is set to anything but the empty string. */
export function colourWanted(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

/**
 * Where a command's output goes: results to stdout, messages and progress to stderr, each coloured only
 * when it is a terminal. `write` respects back-pressure: it resolves once a pipe has room again, so a
 * command printing millions of records never holds them all in memory.
 */
export class Output {
  readonly colour: boolean;
  readonly errorColour: boolean;

  constructor(
    readonly stdout: OutputStream,
    readonly stderr: OutputStream,
    env: NodeJS.ProcessEnv,
  ) {
    this.colour = colourWanted(stdout, env);
    this.errorColour = colourWanted(stderr, env);
  }

  /** stdout is a terminal (a person reads it) rather than a pipe or a file. */
  get isTerminal(): boolean {
    return this.stdout.isTTY === true;
  }

  /** stderr is a terminal: live progress lines go there. */
  get errorIsTerminal(): boolean {
    return this.stderr.isTTY === true;
  }

  /** Writes to stdout; resolves at once unless the stream asks to wait. */
  write(chunk: string | Uint8Array): Promise<void> | undefined {
    if (this.stdout.write(chunk)) return undefined;
    return new Promise((resolve) => this.stdout.once('drain', resolve));
  }

  /** One line to stdout. */
  line(text = ''): Promise<void> | undefined {
    return this.write(`${text}\n`);
  }

  /** One line to stderr (messages, summaries, warnings). */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** Pretty JSON on stdout, bigints as numbers. */
  json(value: unknown): Promise<void> | undefined {
    return this.line(JSON.stringify(value, jsonReplacer, 2));
  }

  /** Styles text for stdout (plain when stdout is not a colour terminal). */
  style(style: Style, text: string): string {
    return this.colour ? paint(style, text) : text;
  }

  /** Styles text for stderr. */
  errorStyle(style: Style, text: string): string {
    return this.errorColour ? paint(style, text) : text;
  }

  /** Rows under a header, each column as wide as its widest cell, separated by two spaces. */
  table(header: readonly string[], rows: readonly (readonly string[])[]): string {
    const widths = header.map((title, column) =>
      Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
    );
    const format = (row: readonly string[]) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
        .join('  ')
        .trimEnd();
    const lines = [this.style('bold', format(header)), ...rows.map(format)];
    return lines.join('\n');
  }

  /** Waits until everything written to stdout and stderr has been handed to the operating system. */
  async flush(): Promise<void> {
    await Promise.all(
      [this.stdout, this.stderr].map(
        (stream) =>
          new Promise<void>((resolve) =>
            stream.writableLength > 0 ? stream.write('', () => resolve()) : resolve(),
          ),
      ),
    );
  }
}

function paint(style: Style, text: string): string {
  const [open, close] = ANSI[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}
