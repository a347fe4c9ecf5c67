import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDirectory, removeTempDirectory } from '../test/temp-directory.js';
import { loadOrCreateMetaProperties, MetaPropertiesError, parseProperties } from './meta-properties.js';

describe('meta.properties', () => {
  let logDir: string;
  beforeEach(() => {
    logDir = makeTempDirectory();
  });
  afterEach(() => removeTempDirectory(logDir));

  it('creates node.id and a random 22-character cluster.id, then keeps them', async () => {
    const created = await loadOrCreateMetaProperties(logDir, 3);
    expect(created.nodeId).toBe(3);
    expect(created.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const text = fs.readFileSync(path.join(logDir, 'meta.properties'), 'utf8');
    expect(text).toContain('node.id=3\n');
    expect(text).toContain(`cluster.id=${created.clusterId}\n`);
    expect(await loadOrCreateMetaProperties(logDir, 3)).toEqual(created);
  });

  it('refuses a directory that belongs to another node', async () => {
    await loadOrCreateMetaProperties(logDir, 1);
    await expect(loadOrCreateMetaProperties(logDir, 2)).rejects.toThrow(MetaPropertiesError);
    await expect(loadOrCreateMetaProperties(logDir, 2)).rejects.toThrow(
      /belongs to node 1.*configured as node 2/,
    );
  });

  it('refuses another cluster id when one is required', async () => {
    await loadOrCreateMetaProperties(logDir, 1, { clusterId: 'abc' });
    await expect(loadOrCreateMetaProperties(logDir, 1, { clusterId: 'xyz' })).rejects.toThrow(/cluster abc/);
  });

  it('reads a file Kafka wrote', async () => {
    fs.writeFileSync(
      path.join(logDir, 'meta.properties'),
      '#\n#Tue Nov 25 10:00:00 UTC 2025\nnode.id=7\ndirectory.id=abc\nversion=1\ncluster.id=MkU3OEVBNTcwNTJENDM2Qk\n',
    );
    expect(await loadOrCreateMetaProperties(logDir, 7)).toEqual({
      nodeId: 7,
      clusterId: 'MkU3OEVBNTcwNTJENDM2Qk',
    });
  });

  it('parses Java properties: comments, both separators, spaces, escapes', () => {
    const parsed = parseProperties('! comment\n# another\n a = 1\nb:2\nc=x\\=y\n\n');
    expect([...parsed]).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', 'x=y'],
    ]);
  });
});
