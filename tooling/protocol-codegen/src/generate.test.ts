import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DO_NOT_EDIT, generate } from './generate.js';
import { parseVersions, readErrorCodes, readMessageSpecs, stripJsonComments } from './schema.js';

const repository = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const messages = process.env.SLUICE_KAFKA_MESSAGES ?? join(repository, '../shared/kafka-protocol/messages');
const generatedDirectory = join(repository, 'packages/protocol/src/generated');

describe('the schema reader', () => {
  it('reads version ranges as Kafka writes them', () => {
    expect(parseVersions('3+')).toEqual({ min: 3, max: Number.POSITIVE_INFINITY });
    expect(parseVersions('0-2')).toEqual({ min: 0, max: 2 });
    expect(parseVersions('5')).toEqual({ min: 5, max: 5 });
    expect(parseVersions('none')).toEqual({ min: 1, max: 0 });
    expect(() => parseVersions('1..2')).toThrow(/unreadable version range/);
  });

  it('strips // comments but not // inside strings', () => {
    const text = '// header\n{ "about": "see http://kafka.apache.org", // trailing\n "n": 1 }';
    expect(JSON.parse(stripJsonComments(text))).toEqual({ about: 'see http://kafka.apache.org', n: 1 });
  });
});

describe('the generator', () => {
  const specs = readMessageSpecs(messages);
  const files = generate(specs, readErrorCodes(messages));

  it('writes one module per API plus the headers, registry, schemas, errors and index', () => {
    const apiKeys = new Set(specs.filter((spec) => spec.apiKey !== undefined).map((spec) => spec.apiKey));
    const names = files.map((file) => file.path);
    expect(names).toContain('request-header.ts');
    expect(names).toContain('response-header.ts');
    expect(names).toEqual(
      expect.arrayContaining([
        'apis.ts',
        'schemas.ts',
        'error-code-table.ts',
        'error-classes.ts',
        'index.ts',
      ]),
    );
    expect(names.length).toBe(apiKeys.size + 7);
    for (const file of files) expect(file.text.startsWith(DO_NOT_EDIT)).toBe(true);
  });

  it('is deterministic and reproduces the committed code byte for byte', () => {
    const again = generate(readMessageSpecs(messages), readErrorCodes(messages));
    expect(again).toEqual(files);
    const committed = readdirSync(generatedDirectory)
      .filter((name) => name.endsWith('.ts'))
      .sort();
    expect(committed).toEqual(files.map((file) => file.path).sort());
    for (const file of files) {
      expect(readFileSync(join(generatedDirectory, file.path), 'utf8'), file.path).toBe(file.text);
    }
  });

  it('refuses a schema that names an unknown type', () => {
    const broken = { ...specs[0], fields: [{ name: 'Mystery', type: 'Unknown', versions: '0+' }] };
    expect(() => generate([broken], [])).toThrow(/unknown type Unknown/);
  });
});
