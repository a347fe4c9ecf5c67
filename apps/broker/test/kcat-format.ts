import { kcat } from './helpers.js';

/** One record as kcat prints it with FORMAT: offset, timestamp, key and value (null-aware), headers. */
export interface KcatRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: string;
}

/** `-f` format that keeps keys and values byte for byte: their lengths come first (-1 for null). */
export const KCAT_FORMAT = 'O%o T%T K%K S%S %k%s H%h\n';

export function parseKcatRecords(output: Buffer): KcatRecord[] {
  const records: KcatRecord[] = [];
  let position = 0;
  const readUntil = (terminator: number) => {
    const end = output.indexOf(terminator, position);
    if (end < 0) throw new Error(`kcat output ends early at byte ${position}`);
    const text = output.toString('latin1', position, end);
    position = end + 1;
    return text;
  };
  while (position < output.length) {
    const offset = Number(readUntil(0x20).slice(1));
    const timestamp = Number(readUntil(0x20).slice(1));
    const keyLength = Number(readUntil(0x20).slice(1));
    const valueLength = Number(readUntil(0x20).slice(1));
    const key = keyLength < 0 ? null : output.subarray(position, position + keyLength);
    position += Math.max(keyLength, 0);
    const value = valueLength < 0 ? null : output.subarray(position, position + valueLength);
    position += Math.max(valueLength, 0);
    if (output[position] !== 0x20)
      throw new Error(`kcat output: no space after the value at byte ${position}`);
    position++;
    const headers = readUntil(0x0a).slice(1);
    records.push({ offset, timestamp, key, value, headers });
  }
  return records;
}

export async function consumeAll(bootstrap: string, topic: string, partition = 0, from = 'beginning') {
  const output = await kcat(bootstrap, [
    '-C',
    '-t',
    topic,
    '-p',
    String(partition),
    '-o',
    from,
    '-e',
    '-f',
    KCAT_FORMAT,
  ]);
  return parseKcatRecords(output);
}
