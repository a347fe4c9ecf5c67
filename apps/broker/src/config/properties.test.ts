import { describe, expect, it } from 'vitest';
import { parseProperties } from './properties.js';

describe('parseProperties', () => {
  it('reads server.properties the way Java does', () => {
    const text = [
      '# a comment',
      '! another',
      'listeners=PLAINTEXT://127.0.0.1:9093',
      '  log.dirs : /var/lib/sluice',
      'num.partitions 6',
      'long.value=first \\',
      '    second',
      'escaped\\=key=a\\tb\\u0041',
      'empty=',
      'num.partitions=8',
    ].join('\n');
    expect(Object.fromEntries(parseProperties(text))).toEqual({
      listeners: 'PLAINTEXT://127.0.0.1:9093',
      'log.dirs': '/var/lib/sluice',
      'num.partitions': '8',
      'long.value': 'first second',
      'escaped=key': 'a\tbA',
      empty: '',
    });
  });
});
