import type { ConsumerRecord } from '@sluice/client';
import { describe, expect, it } from 'vitest';
import { appendRecord, toJsonRecord } from './record-format.js';

function record(
  key: Buffer | null,
  value: Buffer | null,
  headers: ConsumerRecord<Buffer, Buffer>['headers'] = [],
) {
  return { topic: 't', partition: 2, offset: 41, timestamp: 1_700_000_000_000, key, value, headers };
}

function printed(parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}

describe('record output formats', () => {
  it('prints values byte for byte, binary included, one per line', () => {
    const parts: Buffer[] = [];
    const binary = Buffer.from([0xff, 0x00, 0xfe]);
    appendRecord(parts, record(null, Buffer.from('héllo')), 'value', Buffer.from('\t'));
    appendRecord(parts, record(null, binary), 'value', Buffer.from('\t'));
    appendRecord(parts, record(null, null), 'value', Buffer.from('\t'));
    expect(printed(parts)).toEqual(Buffer.concat([Buffer.from('héllo\n'), binary, Buffer.from('\n\n')]));
  });

  it('prints key, separator and value, with nothing for a null key', () => {
    const parts: Buffer[] = [];
    appendRecord(parts, record(Buffer.from('k1'), Buffer.from('v1')), 'key-value', Buffer.from(' => '));
    appendRecord(parts, record(null, Buffer.from('v2')), 'key-value', Buffer.from(' => '));
    expect(printed(parts).toString()).toBe('k1 => v1\n => v2\n');
  });

  it('prints JSON with metadata, and base64 only for what is not UTF-8', () => {
    const json = toJsonRecord(
      record(Buffer.from([0xc3, 0x28]), Buffer.from('{"a":1}'), [
        { key: 'trace', value: Buffer.from('abc') },
        { key: 'bin', value: Buffer.from([0xff]) },
        { key: 'empty', value: null },
      ]),
    );
    expect(json).toEqual({
      topic: 't',
      partition: 2,
      offset: 41,
      timestamp: 1_700_000_000_000,
      key: Buffer.from([0xc3, 0x28]).toString('base64'),
      keyEncoding: 'base64',
      value: '{"a":1}',
      headers: [
        { key: 'trace', value: 'abc' },
        { key: 'bin', value: '/w==', valueEncoding: 'base64' },
        { key: 'empty', value: null },
      ],
    });
    const parts: Buffer[] = [];
    appendRecord(parts, record(null, null), 'json', Buffer.from('\t'));
    const line = printed(parts).toString();
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toMatchObject({ key: null, value: null, headers: [] });
  });
});
