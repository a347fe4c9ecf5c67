import type { Readable } from 'node:stream';
import { CliError } from './cli-error.js';

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines at each `\n` (the newline is dropped; a `\r` before it is kept, so input
 * is passed on byte for byte). Yields the lines of each chunk together, as views into the chunk where a line
 * lies within one; a last line without a newline is yielded at the end. A line longer than `maxLineBytes`
 * fails with a CliError rather than growing without bound.
 */
export async function* splitLines(stream: Readable, maxLineBytes: number): AsyncGenerator<Buffer[]> {
  let carried: Buffer[] = [];
  let carriedBytes = 0;
  for await (const data of stream) {
    const chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
    const lines: Buffer[] = [];
    let start = 0;
    for (let index = chunk.indexOf(NEWLINE); index >= 0; index = chunk.indexOf(NEWLINE, start)) {
      const tail = chunk.subarray(start, index);
      if (carried.length > 0) {
        lines.push(Buffer.concat([...carried, tail]));
        carried = [];
        carriedBytes = 0;
      } else {
        lines.push(tail);
      }
      start = index + 1;
    }
    if (start < chunk.length) {
      carried.push(chunk.subarray(start));
      carriedBytes += chunk.length - start;
      if (carriedBytes > maxLineBytes) {
        throw new CliError(
          `a line of the input is longer than ${maxLineBytes} bytes`,
          'split the input into lines, one record each',
        );
      }
    }
    if (lines.length > 0) yield lines;
  }
  if (carried.length > 0) yield [Buffer.concat(carried)];
}
