import type { Arguments } from '../arguments.js';
import type { OptionDefinition } from '../command.js';

export const COMPRESSION_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionCodec = (typeof COMPRESSION_CODECS)[number];

export const ACKS_OPTION: OptionDefinition = {
  type: 'string',
  short: 'a',
  value: '0|1|all',
  description: 'acknowledgements to wait for: 0 none, 1 the leader, all the in-sync replicas',
  defaultText: 'all',
};

export const COMPRESSION_OPTION: OptionDefinition = {
  type: 'string',
  short: 'z',
  value: 'CODEC',
  description: `batch compression: ${COMPRESSION_CODECS.join(', ')}`,
  defaultText: 'none',
};

export function readAcks(a: Arguments): 0 | 1 | -1 {
  const text = a.string('acks') ?? 'all';
  if (text === 'all' || text === '-1') return -1;
  if (text === '0') return 0;
  if (text === '1') return 1;
  throw a.usage(`--acks must be 0, 1 or all, got "${text}"`);
}

export function readCompression(a: Arguments): CompressionCodec {
  const text = a.string('compression') ?? 'none';
  if (!(COMPRESSION_CODECS as readonly string[]).includes(text)) {
    throw a.usage(`--compression must be one of ${COMPRESSION_CODECS.join(', ')}, got "${text}"`);
  }
  return text as CompressionCodec;
}

/** `topic`, `topic:3` or `topic:0,2,5`: a topic and optionally some of its partitions. */
export function parseTopicPartitions(a: Arguments, text: string): { topic: string; partitions?: number[] } {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { topic: text };
  const topic = text.slice(0, colon);
  const list = text.slice(colon + 1);
  if (topic === '' || !/^\d+(,\d+)*$/.test(list)) {
    throw a.usage(`"${text}" is not TOPIC or TOPIC:PARTITION[,PARTITION...]`);
  }
  return { topic, partitions: [...new Set(list.split(',').map(Number))].sort((x, y) => x - y) };
}
