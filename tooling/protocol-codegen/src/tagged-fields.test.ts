import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from './generate.js';
import { type MessageSpec, readErrorCodes } from './schema.js';

const repository = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const protocolSource = join(repository, 'packages/protocol/src');
const messages = process.env.SLUICE_KAFKA_MESSAGES ?? join(repository, '../shared/kafka-protocol/messages');

/**
 * A message whose tags are not all known in every version: at version 1, tag 0 (Alpha, tagged from version 2)
 * is unknown while tag 2 (Beta) is known, so a decoded v1 message can carry an unknown tag below a known one.
 */
const PROBE: MessageSpec = {
  type: 'header',
  name: 'TaggedProbe',
  validVersions: '0-2',
  flexibleVersions: '1+',
  fields: [
    { name: 'Id', type: 'int32', versions: '0+' },
    { name: 'Alpha', type: 'int32', versions: '2+', taggedVersions: '2+', tag: 0, default: 0 },
    { name: 'Beta', type: 'int32', versions: '1+', taggedVersions: '1+', tag: 2, default: 0 },
  ],
};

interface TaggedField {
  tag: number;
  data: Buffer;
}
interface Probe {
  id: number;
  alpha: number;
  beta: number;
  unknownTaggedFields?: TaggedField[];
}
interface WriterLike {
  toBuffer(): Buffer;
}
interface ProbeModule {
  encodeTaggedProbe(writer: WriterLike, version: number, message: Partial<Probe>): void;
  decodeTaggedProbe(reader: unknown, version: number): Probe;
}

/** Writes the generated module where it can import the protocol package's sources, and loads it. */
async function loadGeneratedProbe(directory: string): Promise<ProbeModule> {
  const file = generate([PROBE], readErrorCodes(messages)).find(
    (candidate) => candidate.path === 'tagged-probe.ts',
  );
  if (!file) throw new Error('the generator wrote no tagged-probe.ts');
  const text = file.text.replace(/'\.\.\/([a-z-]+)\.js'/g, (_, name: string) =>
    JSON.stringify(pathToFileURL(join(protocolSource, `${name}.ts`)).href),
  );
  writeFileSync(join(directory, 'tagged-probe.ts'), text);
  return (await import(pathToFileURL(join(directory, 'tagged-probe.ts')).href)) as ProbeModule;
}

/** The tags of the tagged-field section that closes `bytes`, read after `fixedBytes` bytes of fixed fields. */
function tagsOf(bytes: Buffer, fixedBytes: number): number[] {
  let offset = fixedBytes;
  const uvarint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[offset++];
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  const tags: number[] = [];
  for (let count = uvarint(), i = 0; i < count; i++) {
    tags.push(uvarint());
    const sizeBytes = uvarint();
    offset += sizeBytes;
  }
  expect(offset).toBe(bytes.length);
  return tags;
}

describe('generated encoders and tagged fields', () => {
  let directory: string;
  let probe: ProbeModule;
  let Writer: new (capacity?: number) => WriterLike;
  let Reader: new (bytes: Buffer) => unknown;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-codegen-'));
    probe = await loadGeneratedProbe(directory);
    ({ Writer } = await import(pathToFileURL(join(protocolSource, 'writer.ts')).href));
    ({ Reader } = await import(pathToFileURL(join(protocolSource, 'reader.ts')).href));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const encode = (version: number, message: Partial<Probe>) => {
    const writer = new Writer();
    probe.encodeTaggedProbe(writer, version, message);
    return writer.toBuffer();
  };

  it('re-encodes a message with an unknown tag below a known one byte for byte, tags ascending', () => {
    // Version 1: id 5, then two tagged fields in ascending order: tag 0 (unknown in v1), tag 2 (beta = 7).
    const wire = Buffer.from([0, 0, 0, 5, 2, 0, 4, 0xca, 0xfe, 0xba, 0xbe, 2, 4, 0, 0, 0, 7]);
    const decoded = probe.decodeTaggedProbe(new Reader(wire), 1);
    expect(decoded.beta).toBe(7);
    expect(decoded.unknownTaggedFields).toEqual([{ tag: 0, data: Buffer.from([0xca, 0xfe, 0xba, 0xbe]) }]);
    const again = encode(1, decoded);
    expect(tagsOf(again, 4)).toEqual([0, 2]);
    expect(again).toEqual(wire);
  });

  it('merges unknown tags given in any order between and around the known ones', () => {
    const bytes = encode(2, {
      id: 1,
      alpha: 3,
      beta: 4,
      unknownTaggedFields: [
        { tag: 9, data: Buffer.from([9]) },
        { tag: 1, data: Buffer.from([1]) },
      ],
    });
    expect(tagsOf(bytes, 4)).toEqual([0, 1, 2, 9]);
    const decoded = probe.decodeTaggedProbe(new Reader(bytes), 2);
    expect(decoded).toMatchObject({ id: 1, alpha: 3, beta: 4 });
    expect(decoded.unknownTaggedFields?.map((field) => field.tag)).toEqual([1, 9]);
  });

  it('writes an unknown field at the tag of a known field left at its default, and refuses a clash', () => {
    expect(
      tagsOf(encode(2, { id: 1, unknownTaggedFields: [{ tag: 2, data: Buffer.from([2]) }] }), 4),
    ).toEqual([2]);
    expect(() =>
      encode(2, { id: 1, beta: 4, unknownTaggedFields: [{ tag: 2, data: Buffer.from([2]) }] }),
    ).toThrow(/tag 2 is both beta and an unknown tagged field/);
  });
});
